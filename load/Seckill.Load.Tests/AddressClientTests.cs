using System.Net;
using System.Net.Sockets;
using System.Text;
using Seckill.Load.Drive;

namespace Seckill.Load.Tests;

/// <summary>
/// The tool's HTTP/1.1 client against a server scripted byte by byte, for what a real service
/// does only sometimes: an answer split across packets, a chunked body, a connection closed while
/// idle, a server that never answers. (Against Kestrel itself: <c>SchedulerTests</c>, and the
/// service's <c>LoadToolTests</c>, which drive every scenario through it.)
/// </summary>
public sealed class AddressClientTests : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public AddressClientTests() => _listener.Start();

    private IPEndPoint Server => (IPEndPoint)_listener.LocalEndpoint;

    private AddressClient Client(TimeSpan? timeout = null) =>
        new(Server, local: null, AddressClient.HostHeader(new Uri($"http://{Server}")), connections: 2, timeout ?? TimeSpan.FromSeconds(30));

    private static readonly Call Purchase = new("purchase", HttpMethod.Post, "/api/sales/7/purchase", "{\"quantity\":1}"u8.ToArray(), Token: "abc");

    /// <summary>Reads one request (head and Content-Length body) from the connection; returns it as text.</summary>
    private static async Task<string> ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (!Encoding.ASCII.GetString(buffer.ToArray()).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return "";
            }
            buffer.Add(one[0]);
        }
        var head = Encoding.ASCII.GetString(buffer.ToArray());
        var length = head.Split("\r\n").FirstOrDefault(line => line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) is { } header
            ? int.Parse(header["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture) : 0;
        var body = new byte[length];
        await stream.ReadExactlyAsync(body);
        return head + Encoding.ASCII.GetString(body);
    }

    private static async Task WriteInPiecesAsync(NetworkStream stream, string response, int pieceLength)
    {
        var bytes = Encoding.ASCII.GetBytes(response);
        for (var at = 0; at < bytes.Length; at += pieceLength)
        {
            await stream.WriteAsync(bytes.AsMemory(at, Math.Min(pieceLength, bytes.Length - at)));
            await stream.FlushAsync();
        }
    }

    [Fact]
    public async Task ARequestCarriesItsHeadersAndBodyAndAnAnswerSplitAcrossPacketsIsReadWhole()
    {
        using var client = Client();
        var reply = client.SendAsync(Purchase);
        using var connection = await _listener.AcceptTcpClientAsync();
        var stream = connection.GetStream();
        var request = await ReadRequestAsync(stream);
        await WriteInPiecesAsync(stream,
            "HTTP/1.1 409 Conflict\r\nContent-Type: application/problem+json\r\nContent-Length: 38\r\n\r\n{\"status\":409,\"code\":\"sold_out\",\"x\":1}", pieceLength: 7);

        Assert.Equal(new Reply(409, "sold_out"), await reply);
        Assert.StartsWith("POST /api/sales/7/purchase HTTP/1.1\r\n", request, StringComparison.Ordinal);
        Assert.Contains($"\r\nHost: {Server}\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nAuthorization: Bearer abc\r\n", request, StringComparison.Ordinal);
        Assert.Contains($"\r\nUser-Agent: {ClientPool.BrowserAgent}\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"quantity\":1}", request, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AChunkedAnswerIsDecodedAndTheConnectionServesTheNextRequest()
    {
        using var client = Client();
        var first = client.SendAsync(Purchase);
        using var connection = await _listener.AcceptTcpClientAsync();
        var stream = connection.GetStream();
        await ReadRequestAsync(stream);
        await WriteInPiecesAsync(stream,
            "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "d\r\n{\"orderId\":\"4\r\n" + "1b;ext=1\r\n2\",\"status\":\"queued\",\"etaMs\r\n" + "4\r\n\":9}\r\n" + "0\r\n\r\n", pieceLength: 5);
        Assert.Equal(new Reply(202, null, OrderId: 42, OrderStatus: "queued", EtaMs: 9), await first);

        // Kept alive: the second request comes on the same connection (no second accept).
        var second = client.SendAsync(Purchase with { Method = HttpMethod.Get, Path = "/api/orders/42", Body = null });
        var request = await ReadRequestAsync(stream);
        await WriteInPiecesAsync(stream, "HTTP/1.1 200 OK\r\ncontent-length: 21\r\n\r\n{\"status\":\"canceled\"}", pieceLength: 100);
        Assert.Equal(new Reply(200, null, OrderStatus: "canceled"), await second);
        Assert.StartsWith("GET /api/orders/42 HTTP/1.1\r\n", request, StringComparison.Ordinal);
        Assert.DoesNotContain("Content-Length", request, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AConnectionIdleForLongerThanTheTimeoutServesTheNextRequest()
    {
        var timeout = TimeSpan.FromSeconds(2);
        using var client = Client(timeout);
        var first = client.SendAsync(Purchase);
        using var connection = await _listener.AcceptTcpClientAsync();
        var stream = connection.GetStream();
        await ReadRequestAsync(stream);
        await WriteInPiecesAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", pieceLength: 100);
        Assert.Equal(200, (await first).Status);

        // Idle past the first request's timeout: a timer armed after it fires first (the timer
        // queue fires in due order), so once this one has, the connection's would have too.
        using var later = new CancellationTokenSource(timeout);
        Assert.True(SpinWait.SpinUntil(() => later.IsCancellationRequested, TimeSpan.FromSeconds(30)));

        var second = client.SendAsync(Purchase);
        var request = ReadRequestAsync(stream);
        Assert.Same(request, await Task.WhenAny(request, second)); // not answered "timeout" without being sent
        await request;
        await WriteInPiecesAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", pieceLength: 100);
        Assert.Equal(new Reply(200, null), await second);
    }

    [Fact]
    public async Task AConnectionTheServerClosedWhileIdleIsReplacedAndTheRequestSentAgain()
    {
        using var client = Client();
        var first = client.SendAsync(Purchase);
        using (var connection = await _listener.AcceptTcpClientAsync())
        {
            var stream = connection.GetStream();
            await ReadRequestAsync(stream);
            await WriteInPiecesAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", pieceLength: 100);
            Assert.Equal(200, (await first).Status);
        } // closed by the server while idle

        var second = client.SendAsync(Purchase);
        using var replacement = await _listener.AcceptTcpClientAsync();
        var again = replacement.GetStream();
        Assert.Contains("POST /api/sales/7/purchase", await ReadRequestAsync(again), StringComparison.Ordinal);
        await WriteInPiecesAsync(again, "HTTP/1.1 201 Created\r\nContent-Length: 16\r\n\r\n{\"orderId\":\"43\"}", pieceLength: 100);
        Assert.Equal(new Reply(201, null, OrderId: 43), await second);
    }

    [Fact]
    public async Task AnAnswerCutShortAndAServerThatNeverAnswersAreNoResponses()
    {
        // The cut answer with the default timeout: on a busy machine noticing the closed connection
        // can take longer than the short timeout below, which then answered first (a CI run).
        using (var patient = Client())
        {
            var cut = patient.SendAsync(Purchase);
            using (var connection = await _listener.AcceptTcpClientAsync())
            {
                var stream = connection.GetStream();
                await ReadRequestAsync(stream);
                await WriteInPiecesAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"sta", pieceLength: 100);
            }
            Assert.Equal(Reply.NoResponse("ResponseEnded"), await cut);
        }

        using var client = Client(TimeSpan.FromMilliseconds(300));
        var silent = client.SendAsync(Purchase);
        using var mute = await _listener.AcceptTcpClientAsync();
        await ReadRequestAsync(mute.GetStream());
        Assert.Equal(Reply.NoResponse("timeout"), await silent);
    }

    public void Dispose() => _listener.Stop();
}
