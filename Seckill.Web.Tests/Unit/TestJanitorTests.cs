using System.Diagnostics;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Unit;

/// <summary>
/// The fixtures' promise that nothing outlives a test run, even a killed one: a stand-in test
/// host (a process of its own) starts a real redis-server through the same watchdog and
/// directory naming as the fixtures, and is then killed with SIGKILL.
/// </summary>
public sealed class TestJanitorTests
{
    [Fact]
    public async Task WhatAKilledTestHostStartedIsStoppedAndItsDirectoriesRemoved()
    {
        using var host = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        var directory = TestJanitor.NewDirectory("redis", host.Id);
        var port = TestServers.FreePort();
        using var redis = Process.Start(new ProcessStartInfo("redis-server",
            ["--port", port.ToString(), "--bind", "127.0.0.1", "--dir", directory, "--save", "", "--appendonly", "yes"])
        {
            UseShellExecute = false, RedirectStandardOutput = true,
        })!;
        TestJanitor.Guard(redis, host.Id);
        TestJanitor.CleanUpAfter(host.Id);
        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(Path.Combine(directory, "appendonlydir", "appendonly.aof.manifest"))),
            "redis-server to write into its directory");

        // While the host lives, the watchdog leaves its server alone.
        Assert.Equal("+PONG\r\n", Ping(port));

        host.Kill(); // SIGKILL: no exit handler of the host runs

        await Eventually.TrueAsync(() => Task.FromResult(redis.HasExited), "the watchdog to kill redis-server");
        await Eventually.TrueAsync(() => Task.FromResult(!Directory.Exists(directory)), "the janitor to remove the directory");
    }

    private static string Ping(int port)
    {
        using var client = new System.Net.Sockets.TcpClient("127.0.0.1", port);
        var stream = client.GetStream();
        stream.Write("PING\r\n"u8);
        var buffer = new byte[64];
        return System.Text.Encoding.ASCII.GetString(buffer, 0, stream.Read(buffer));
    }
}
