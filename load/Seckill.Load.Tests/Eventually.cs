namespace Seckill.Load.Tests;

/// <summary>Waits for a condition with a deadline instead of sleeping a fixed time.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await timer.WaitForNextTickAsync();
        }
    }
}
