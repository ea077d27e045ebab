using System.Net;
using System.Net.Sockets;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Deploy;

/// <summary>
/// A start on a port already taken (usually a second start of the service) says so in one line and
/// exits with 1: no crash, and no background service reported as crashed after the real cause.
/// </summary>
public sealed class TakenPortTests
{
    [Fact]
    public async Task AStartOnATakenPortSaysSoInOneLineAndExitsWithOne()
    {
        using var store = new TestStore(StorageMode.Embedded);
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            var port = ((IPEndPoint)taken.LocalEndpoint).Port;
            var settings = new Dictionary<string, string?>(store.Settings) { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" };

            using var process = await SeckillProcess.StartExpectingFailureAsync(settings, store.DataDirectory);

            var log = process.Log;
            Assert.True(process.ExitCode == 1, $"exit code {process.ExitCode}; log:\n{log}");
            Assert.Contains($"Failed to bind to address http://127.0.0.1:{port}: address already in use. Another process listens there", log);
            Assert.DoesNotContain("Unhandled exception", log);
            Assert.DoesNotContain("BackgroundService failed", log);
            Assert.DoesNotContain("has thrown an unhandled exception", log);
        }
        finally
        {
            taken.Stop();
        }
    }
}
