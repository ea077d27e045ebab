namespace Seckill.Load.Measure;

internal static class AtomicMax
{
    /// <summary>Raises <paramref name="target"/> to <paramref name="value"/> if it is lower, lock-free.</summary>
    public static void Raise(ref long target, long value)
    {
        var seen = Interlocked.Read(ref target);
        while (value > seen)
        {
            var was = Interlocked.CompareExchange(ref target, value, seen);
            if (was == seen)
            {
                return;
            }
            seen = was;
        }
    }
}
