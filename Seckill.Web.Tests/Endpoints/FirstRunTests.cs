using System.Diagnostics;
using System.Text.RegularExpressions;
using Seckill.Web.Tests.Deploy;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

/// <summary>
/// A newcomer's first run (README "Run"): the startup banner, the demo lines it prints pasted into
/// a shell as they are, and the token command whose output goes into a shell variable.
/// </summary>
public sealed partial class FirstRunTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <summary>The banner is logged at Information; the test processes log only warnings otherwise.</summary>
    private static readonly Dictionary<string, string?> Development = new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["Logging:LogLevel:Seckill.Web.StartupBanner"] = "Information",
    };

    [Fact]
    public async Task TheBannerNamesTheModeTheStoresAndTheUrlsAndItsDemoLinesWorkPastedIntoAShell()
    {
        using var store = new TestStore();
        using var service = await SeckillProcess.StartAsync(new Dictionary<string, string?>(store.Settings.Concat(Development)), store.DataDirectory);
        await Eventually.TrueAsync(() => Task.FromResult(service.Log.Contains("/stock; echo", StringComparison.Ordinal)),
            () => $"the banner's demo lines; log:\n{service.Log}");
        var log = service.Log;
        var url = service.BaseAddress.ToString().TrimEnd('/');

        var mode = store.ModeOfThisStore == StorageMode.Embedded ? "embedded" : "clustered";
        Assert.Contains($"Seckill instance 0 is listening on {url} ({mode} mode)", log);
        Assert.Matches(store.ModeOfThisStore == StorageMode.Embedded
            ? @"orders +SQLite /\S+\.db: reached"
            : @"orders +MySQL 127\.0\.0\.1:\d+/\S+ \(user \S+\): reached", log);
        Assert.DoesNotContain("NOT reached", log);
        Assert.DoesNotContain("Password", log, StringComparison.OrdinalIgnoreCase);
        Assert.All(["/hangfire", "/metrics", "/openapi/v1.json", "/scalar", "/health/ready"], path => Assert.Contains(url + path, log));

        // The lines from `export SECKILL=` to the stock, exactly as printed (the console logger
        // indents a message's lines; a shell does not mind), pasted into a bash with nothing set.
        var lines = log.Split('\n').Select(line => line.Trim()).SkipWhile(line => !line.StartsWith("export SECKILL=", StringComparison.Ordinal)).ToList();
        var demo = lines.Take(lines.FindIndex(line => line.EndsWith("/stock; echo", StringComparison.Ordinal)) + 1).ToList();
        Assert.Equal(11, demo.Count);
        Assert.DoesNotContain(demo, line => line.Contains('<') || line.Contains("…", StringComparison.Ordinal));
        var (exit, output) = Shell.Run("bash", ["-c", string.Join('\n', demo)], TimeSpan.FromMinutes(1), new() { ["PATH"] = "/usr/bin:/bin" });

        Assert.True(exit == 0, output);
        // Bought, read, cancelled, bought again, read, paid: one unit sold and paid, one cancelled.
        // (The lines run back to back here: a purchase may be answered 202 queued, which the
        // line after it follows until the order is written.)
        Assert.Equal(2, OrderIds().Matches(output).Count);
        Assert.Equal(2, WrittenOrders().Matches(output).Count);
        Assert.Contains("{\"status\":\"cancelled\"}", output);
        Assert.Contains("{\"status\":\"paid\"}", output);
        Assert.Matches("\"sold\":1,.*\"paid\":1,\"cancelled\":1,", output);
        Assert.DoesNotContain("\"code\":", output);
    }

    /// <summary>README's fast form, and the published binary's: stdout is the token and nothing else, so <c>BUYER=$(…)</c> works.</summary>
    [Fact]
    public async Task TheTokenCommandWritesOnlyTheTokenToStandardOutput()
    {
        var binary = Path.Combine(AppContext.BaseDirectory, "Seckill.Web.dll");
        var runs = await Task.WhenAll(
            StandardOutputAsync("dotnet", [binary, "token", "--user", "43"]),
            StandardOutputAsync("dotnet", [binary, "token", "--user", "1", "--admin"]),
            StandardOutputAsync("dotnet", ["run", "-v", "q", "--no-build", "-c", Configuration, "--project", "Seckill.Web", "--", "token", "--user", "43"]));
        foreach (var (exit, stdout, stderr) in runs)
        {
            Assert.True(exit == 0, stderr);
            Assert.Matches(OneToken(), stdout);
        }
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> StandardOutputAsync(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Shell.Repo,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>One line: a JWT (three base64url parts) and its newline.</summary>
    [GeneratedRegex(@"\A[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n\z")]
    private static partial Regex OneToken();

    /// <summary>A purchase's answer: 201 awaiting payment or 202 queued.</summary>
    [GeneratedRegex("\\{\"orderId\":\"[0-9]+\",\"status\":\"(awaiting_payment|queued)\"")]
    private static partial Regex OrderIds();

    /// <summary>An order as <c>GET /api/orders/{id}</c> shows it once written.</summary>
    [GeneratedRegex("\"orderId\":\"[0-9]+\",\"saleId\":\"[0-9]+\",\"userId\":\"[0-9]+\",\"quantity\":1,\"amount\":9.99,\"status\":\"awaiting_payment\"")]
    private static partial Regex WrittenOrders();
}
