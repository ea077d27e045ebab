using System.Text.Json;

namespace Seckill.Web.Tests.Unit;

/// <summary>
/// The runtime settings the service ships with (its <c>Seckill.Web.runtimeconfig.json</c>, what
/// <c>dotnet Seckill.Web.dll</c> and <c>dotnet run</c> start with): the purchase path must be
/// optimized before a sale starts, not seconds into it (BENCHMARKS.md section 13), and the
/// collector's pauses kept short during it (section 19).
/// </summary>
public sealed class RuntimeSettingsTests
{
    private static JsonElement ConfigProperties()
    {
        using var file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Seckill.Web.runtimeconfig.json"));
        return JsonDocument.Parse(file).RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }

    [Fact]
    public void HotMethodsAreOptimizedWithoutWaitingForTheJitToGoQuiet() =>
        Assert.Equal(0, ConfigProperties().GetProperty("System.Runtime.TieredCompilation.CallCountingDelayMs").GetInt32());

    [Fact]
    public void NoInstrumentedCodeRunsDuringASale() =>
        Assert.False(ConfigProperties().GetProperty("System.Runtime.TieredPGO").GetBoolean());

    [Fact]
    public void TheCollectorPausesOftenAndBrieflyRatherThanSeldomAndLong()
    {
        Assert.False(ConfigProperties().GetProperty("System.GC.Server").GetBoolean());
        Assert.True(ConfigProperties().GetProperty("System.GC.Concurrent").GetBoolean());
    }
}
