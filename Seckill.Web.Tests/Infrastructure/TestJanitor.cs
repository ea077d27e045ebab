using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>
/// Makes sure nothing a test run starts outlives it, even when the test host is killed (dotnet
/// test may end it without running its exit handlers): every server or service process gets a
/// watchdog that kills it once the test host is gone, and every throwaway directory carries the
/// host's pid in its name, so a janitor removes them after the host and the next run sweeps what
/// is left of dead runs.
/// </summary>
/// <remarks>
/// The watchdogs are small shell loops (<c>sh</c> and <c>kill</c> only), named
/// <c>seckill-watchdog</c> and <c>seckill-janitor</c> so <c>.ci/run</c> can wait for them.
/// </remarks>
public static class TestJanitor
{
    private static readonly int Host = Environment.ProcessId;

    /// <summary>Runs once when the test assembly loads: removes what dead runs left, and starts this run's janitor.</summary>
    [ModuleInitializer]
    internal static void Start()
    {
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), "seckill-*"))
        {
            if (OwnerOf(directory) is { } pid && pid != Host && !Directory.Exists($"/proc/{pid}"))
            {
                TryDelete(directory);
            }
        }
        CleanUpAfter(Host);
    }

    /// <summary>A new empty directory under the temp folder, named after <paramref name="kind"/> and this test host.</summary>
    public static string NewDirectory(string kind) => NewDirectory(kind, Host);

    internal static string NewDirectory(string kind, int host) => Directory.CreateTempSubdirectory($"seckill-{kind}-{host}-").FullName;

    /// <summary>Kills <paramref name="child"/> (SIGKILL) as soon as the test host is gone; the watchdog ends with the child.</summary>
    public static void Guard(Process child) => Guard(child, Host);

    internal static void Guard(Process child, int host) =>
        Spawn("seckill-watchdog", host, $"""
            while kill -0 {host} 2>/dev/null && kill -0 {child.Id} 2>/dev/null; do sleep 0.2; done
            kill -0 {host} 2>/dev/null || kill -9 {child.Id} 2>/dev/null
            exit 0
            """);

    /// <summary>
    /// Runs <paramref name="command"/> (a shell line) if the test host dies while the file
    /// <paramref name="marker"/> exists: for what a test starts detached (daemons of a script),
    /// which no watchdog of a child process reaches. The test deletes the marker once it has
    /// stopped them itself; the watchdog then ends.
    /// </summary>
    public static void RunIfHostDies(string command, string marker) =>
        Spawn("seckill-watchdog", Host, $"""
            while kill -0 {Host} 2>/dev/null && [ -e '{marker}' ]; do sleep 0.5; done
            [ -e '{marker}' ] && ! kill -0 {Host} 2>/dev/null && {command}
            exit 0
            """);

    /// <summary>Once <paramref name="host"/> is gone (and its watchdogs have killed what they guard), its directories go.</summary>
    internal static void CleanUpAfter(int host) =>
        Spawn("seckill-janitor", host, $$"""
            while kill -0 {{host}} 2>/dev/null; do sleep 0.5; done
            for attempt in 1 2 3 4 5 6 7 8 9 10; do
              rm -rf {{Path.GetTempPath()}}seckill-*-{{host}}-* 2>/dev/null
              ls -d {{Path.GetTempPath()}}seckill-*-{{host}}-* >/dev/null 2>&1 || exit 0
              sleep 1
            done
            """);

    private static void Spawn(string name, int host, string script)
    {
        var start = new ProcessStartInfo("sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        // A hangup or interrupt sent to the test run's whole process group (its terminal or runner
        // going away) would end a shell but not the servers, which handle those signals: the
        // watchdogs ignore them and outlive the host as they must.
        start.ArgumentList.Add("trap '' HUP INT\n" + script);
        start.ArgumentList.Add(name); // $0: what ps and /proc/<pid>/cmdline show
        start.ArgumentList.Add(host.ToString());
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start");
    }

    private static int? OwnerOf(string directory)
    {
        // seckill-<kind>-<pid>-<random>
        var parts = Path.GetFileName(directory).Split('-');
        return parts.Length >= 4 && int.TryParse(parts[2], out var pid) ? pid : null;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Someone else's, or still held: left for the next sweep.
        }
    }
}
