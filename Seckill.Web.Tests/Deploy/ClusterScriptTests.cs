using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Seckill.Web.Tests.Infrastructure;
using static Seckill.Web.Tests.Deploy.Shell;
using Xunit.Abstractions;

namespace Seckill.Web.Tests.Deploy;

/// <summary>
/// <c>deploy/cluster.sh</c> and <c>deploy/nginx/seckill.conf</c> as a user runs them: the whole
/// cluster behind Nginx, a flash sale driven through Nginx by the load tool, one instance killed
/// mid-sale with the script, the load tool's verification passing, and nothing left running.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class ClusterScriptTests(ITestOutputHelper output)
{
    [Fact]
    public void TheShippedNginxConfigurationPassesNginxTest()
    {
        using var folder = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(folder.Path, "logs"));
        var main = Path.Combine(folder.Path, "nginx.conf");
        // As an operator would use it: included in the http context of nginx.conf. Its access
        // log goes where Debian's nginx package puts logs; elsewhere, to this folder.
        var conf = File.ReadAllText(Path.Combine(Repo, "deploy/nginx/seckill.conf"));
        if (!Directory.Exists("/var/log/nginx"))
        {
            conf = conf.Replace("/var/log/nginx/", folder.Path + "/logs/");
        }
        File.WriteAllText(Path.Combine(folder.Path, "seckill.conf"), conf);
        File.WriteAllText(main, $$"""
            pid {{folder.Path}}/nginx.pid;
            events {}
            http { include {{folder.Path}}/seckill.conf; }
            """);
        var (code, text) = Run(Nginx, ["-t", "-p", folder.Path, "-e", Path.Combine(folder.Path, "logs/error.log"), "-c", main], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, text);
        Assert.Contains("test is successful", text);
    }

    [Fact]
    public void TheScriptNamesItsCommandsAndRefusesAnUnknownOne()
    {
        var (code, text) = Run("bash", [Script, "bogus"], TimeSpan.FromSeconds(30));
        Assert.Equal(2, code);
        Assert.Contains("up [N]", text);
        Assert.Contains("kill <i>", text);
    }

    [Fact]
    public async Task UpDriveKillAnInstanceVerifyAndDownLeavesNothingRunning()
    {
        using var folder = new TempDirectory();
        var state = Path.Combine(folder.Path, "cluster");
        var environment = new Dictionary<string, string>
        {
            ["SECKILL_CLUSTER_DIR"] = state,
            ["SECKILL_CLUSTER_PORT"] = FreeRun(1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SECKILL_INSTANCE_PORT"] = (FreeRun(3) - 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SECKILL_REDIS_PORT"] = FreeRun(3).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SECKILL_MYSQL_PORT"] = FreeRun(1).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        // If this test host dies, its cluster goes with it.
        var pids = new List<int>();
        var marker = Path.Combine(folder.Path, "running");
        File.WriteAllText(marker, "");
        TestJanitor.RunIfHostDies($"SECKILL_CLUSTER_DIR='{state}' bash '{Script}' down", marker);
        try
        {
            var (up, upText) = Run("bash", [Script, "up", "2"], TimeSpan.FromMinutes(10), environment);
            output.WriteLine(upText);
            Assert.True(up == 0, upText);
            Assert.Contains($"http://127.0.0.1:{environment["SECKILL_CLUSTER_PORT"]}", upText);
            var (_, status) = Run("bash", [Script, "status"], TimeSpan.FromMinutes(1), environment);
            output.WriteLine(status);
            // Nginx, 2 instances, the pool Redis, 2 shard Redis, MariaDB: each running and ready.
            var parts = status.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
            Assert.Equal(7, parts.Count(part => part is [_, _, _, "yes", "yes"]));
            pids.AddRange(parts.Select(part => int.Parse(part[1], System.Globalization.CultureInfo.InvariantCulture)));

            // The load tool through Nginx; instance 2 killed once the sale is selling.
            var load = await DriveAndKillAsync(environment, Path.Combine(state, "signing-key"));
            output.WriteLine(load.Text);
            foreach (var instanceLog in Directory.EnumerateFiles(Path.Combine(state, "logs"), "instance-*.log"))
            {
                output.WriteLine($"{Path.GetFileName(instanceLog)}, its warnings:");
                // The script runs the instances in Production: JSON lines (README "Logs").
                foreach (var line in File.ReadLines(instanceLog).Where(line => line.Contains("\"LogLevel\":\"Warning\"", StringComparison.Ordinal) ||
                             line.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal) || line.Contains("\"LogLevel\":\"Critical\"", StringComparison.Ordinal)).Take(50))
                {
                    output.WriteLine("  " + line);
                }
            }
            Assert.True(load.Code == 0, load.Text);
            Assert.Contains("## Verification: PASS", load.Text);
            Assert.Contains("killed instance 2", load.Text);

            // Every buyer's purchases went to one instance until the kill, and no purchase that
            // reached an instance was sent to another (Nginx's access log).
            var log = File.ReadAllLines(Path.Combine(state, "logs/nginx-access.log"));
            var resent = log.Where(line => line.Contains("\"method\":\"POST\"") && line.Contains("/purchase") &&
                                           line.Contains("\"upstream\":\"") && line.Split("\"upstream\":\"")[1].Split('"')[0].Contains(',') &&
                                           !line.Contains("\"upstream_connect_time\":\"-,")).ToList();
            Assert.Empty(resent);
            // Consistent hashing: a buyer of instance 1 (which lived) never reached instance 2; only
            // instance 2's buyers moved, to instance 1, when it died. Some buyers sent several requests
            // (a purchase, then its payment), so this says something.
            var first = int.Parse(environment["SECKILL_INSTANCE_PORT"], System.Globalization.CultureInfo.InvariantCulture) + 1;
            var byBuyer = log.Select(line => (Buyer: Field(line, "buyer"), Upstream: Field(line, "upstream").Split(", ")[^1]))
                .Where(request => request.Upstream.StartsWith("127.0.0.1:", StringComparison.Ordinal))
                .GroupBy(request => request.Buyer).ToList();
            Assert.True(byBuyer.Count(buyer => buyer.Count() > 1) > 100, $"{byBuyer.Count(buyer => buyer.Count() > 1)} buyers sent more than one request");
            var moved = byBuyer.Where(buyer => buyer.Select(request => request.Upstream)
                .SkipWhile(upstream => upstream != $"127.0.0.1:{first}").Any(upstream => upstream != $"127.0.0.1:{first}")).ToList();
            Assert.True(moved.Count == 0, $"{moved.Count} buyers of instance 1 reached another instance, e.g. {string.Join(" ", moved.FirstOrDefault() ?? Enumerable.Empty<(string, string)>())}");
        }
        finally
        {
            var (down, downText) = Run("bash", [Script, "down"], TimeSpan.FromMinutes(3), environment);
            output.WriteLine(downText);
            File.Delete(marker);
            Assert.Equal(0, down);
        }
        // Nothing of the cluster is left running: none of the pids status listed, nothing with the
        // state folder on its command line (MariaDB, Nginx) but this test's own watchdog, ending.
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(state, "run"), "*.pid"));
        Assert.All(pids, pid => Assert.False(IsRunning(pid), $"pid {pid} still runs: {CommandLineOf(pid)}"));
        Assert.DoesNotContain(Process.GetProcesses(), process => CommandLineOf(process.Id) is var line &&
            line.Contains(state, StringComparison.Ordinal) && !line.Contains("seckill-watchdog", StringComparison.Ordinal));
    }

    /// <summary>A string field of one line of Nginx's JSON access log.</summary>
    private static string Field(string line, string name) =>
        line.Split($"\"{name}\":\"") is [_, var rest, ..] ? rest[..rest.IndexOf('"')] : "";

    // A process that exited but is not reaped yet (a zombie) is not running.
    private static bool IsRunning(int pid) =>
        File.Exists($"/proc/{pid}/stat") && !ReadOrEmpty($"/proc/{pid}/stat").Split(") ").LastOrDefault("").StartsWith('Z');

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static async Task<(int Code, string Text)> DriveAndKillAsync(Dictionary<string, string> environment, string keyFile)
    {
        var start = Start("dotnet", ["run", "--project", Path.Combine(Repo, "load/Seckill.Load"), "-c", "Release", "--",
            "--url", $"http://127.0.0.1:{environment["SECKILL_CLUSTER_PORT"]}", "--scenario", "flash-sale",
            "--rate", "300", "--users", "6000", "--stock", "2000", "--signing-key", File.ReadAllText(keyFile).Trim(),
            "--out", Path.Combine(Path.GetDirectoryName(keyFile)!, "load-report")], environment);
        using var process = start.Process;
        string Text()
        {
            lock (start.Text)
            {
                return start.Text.ToString();
            }
        }
        // A progress line with acknowledged purchases: the sale is selling (the tool builds first).
        await Eventually.TrueAsync(() => Task.FromResult(process.HasExited || Text().Contains("202:", StringComparison.Ordinal)),
            () => $"the load tool to report purchases: {Text()}", TimeSpan.FromMinutes(5));
        var (_, killed) = Run("bash", [Script, "kill", "2"], TimeSpan.FromMinutes(1), environment);
        lock (start.Text)
        {
            start.Text.AppendLine(killed);
        }
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        return (process.ExitCode, Text());
    }

    private static string Script => Path.Combine(Repo, "deploy/cluster.sh");

    /// <summary>
    /// The first of <paramref name="count"/> consecutive free loopback ports, below the kernel's
    /// ephemeral range. A port in that range can be free when chosen and then be taken, before the
    /// script binds it, as the local end of one of the many connections the other tests (and the
    /// cluster itself) open meanwhile: once Nginx failed to bind for that reason, after the minute
    /// the script spends publishing. The other fixtures ask the kernel for port 0, which comes from
    /// that range too, so below it nothing else of ours competes.
    /// </summary>
    private static int FreeRun(int count)
    {
        var ephemeral = File.Exists("/proc/sys/net/ipv4/ip_local_port_range")
            ? int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture)
            : 32_768;
        var below = Math.Max(ephemeral, 12_000);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var first = Random.Shared.Next(10_000, below - count);
            if (Enumerable.Range(first, count).All(IsFree))
            {
                return first;
            }
        }
        throw new InvalidOperationException($"no {count} consecutive free ports");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string CommandLineOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
