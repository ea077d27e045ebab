using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Promises;

/// <summary>
/// Requests whose HTTP framing is broken — bad chunk sizes, bodies shorter than announced — sent
/// byte by byte to a real Kestrel (the in-memory test server has no HTTP parser). Each gets a 4xx
/// problem with a code, never a 500, and changes nothing.
/// </summary>
public sealed class MalformedFramingTests : IClassFixture<MalformedFramingTests.KestrelFixture>
{
    public sealed class KestrelFixture : IAsyncLifetime
    {
        public SeckillFactory Factory { get; } = new();
        public long SaleId { get; private set; }
        public Uri Address { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            // A body that stalls is given up on after two seconds instead of Kestrel's default five.
            Factory.UseKestrel(kestrel => kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(240, TimeSpan.FromSeconds(2)));
            Factory.StartServer();
            using var client = Factory.CreateClient();
            Address = client.BaseAddress!;
            SaleId = (await Factory.CreateSaleAsync(stock: 10)).Id;
        }

        public Task DisposeAsync()
        {
            Factory.Dispose();
            return Task.CompletedTask;
        }
    }

    private readonly KestrelFixture _fixture;

    public MalformedFramingTests(KestrelFixture fixture) => _fixture = fixture;

    public static TheoryData<string, string, string, int, string> Cases => new()
    {
        // name, route, the request after its headers (framing headers, blank line, body), status, code
        { "chunk size not hex", "/api/sales/{sale}/purchase", "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "bad_request" },
        { "chunk size beyond 64 bits", "/api/sales/{sale}/purchase", "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", 400, "bad_request" },
        { "chunk shorter than announced, connection held", "/api/sales/{sale}/purchase", "Transfer-Encoding: chunked\r\n\r\n20\r\n{\"quantity\":1}\r\n", 408, "request_timeout" },
        { "body shorter than Content-Length, connection held", "/api/sales/{sale}/purchase", "Content-Length: 100\r\n\r\n{\"quantity\":1}", 408, "request_timeout" },
        { "Content-Length and a chunked body that is not", "/api/sales/{sale}/purchase", "Content-Length: 14\r\nTransfer-Encoding: chunked\r\n\r\n{\"quantity\":1}", 400, "bad_request" },
        { "admin body with a bad chunk", "/api/admin/sales", "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "bad_request" },
        { "admin body shorter than Content-Length", "/api/admin/sales", "Content-Length: 300\r\n\r\n{\"sku\":\"x\"", 408, "request_timeout" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BrokenFramingGetsAProblemWithItsCodeAndChangesNothing(string name, string route, string framingAndBody, int status, string code)
    {
        var before = await SnapshotAsync();
        var admin = route.StartsWith("/api/admin", StringComparison.Ordinal);
        var head =
            $"POST {route.Replace("{sale}", _fixture.SaleId.ToString())} HTTP/1.1\r\n" +
            $"Host: {_fixture.Address.Authority}\r\n" +
            $"Authorization: Bearer {_fixture.Factory.Token(admin ? 1 : 77, admin)}\r\n" +
            $"User-Agent: {SeckillFactory.BrowserAgent}\r\n" +
            "Content-Type: application/json\r\n";

        // The connection stays open after the request, as an attacker holding it would.
        var answer = await SendRawAsync(head + framingAndBody);

        Assert.True(answer.StartsWith($"HTTP/1.1 {status} ", StringComparison.Ordinal), $"{name}: {answer}");
        Assert.Contains("Content-Type: application/problem+json", answer);
        Assert.Contains($"\"code\":\"{code}\"", answer);
        Assert.Equal(before, await SnapshotAsync());
    }

    private async Task<string> SnapshotAsync() =>
        $"{await _fixture.Factory.SettledStockAsync(_fixture.SaleId) with { Shards = [] }} sales={_fixture.Factory.Get<Seckill.Web.Sales.SaleCatalog>().All.Count}";

    /// <summary>Sends bytes as they are and reads the answer's head and body, without closing the sending side.</summary>
    private async Task<string> SendRawAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(_fixture.Address.Host, _fixture.Address.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new StringBuilder();
        var buffer = new byte[8192];
        while (!IsComplete(received.ToString()))
        {
            var read = await stream.ReadAsync(buffer, deadline.Token);
            if (read == 0)
            {
                break;
            }
            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        return received.ToString();
    }

    private static bool IsComplete(string response)
    {
        var end = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }
        var header = response[..end].Split("\r\n").FirstOrDefault(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        return header is not null && response.Length - end - 4 >= int.Parse(header["Content-Length:".Length..].Trim());
    }
}
