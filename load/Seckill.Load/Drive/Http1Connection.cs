using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Seckill.Load.Drive;

/// <summary>
/// One keep-alive HTTP/1.1 connection: writes a request into a buffer it keeps, reads the answer
/// into another, and hands <see cref="Reply.Parse"/> the body where it lies: no request or response
/// objects, no header collections (what it saved: BENCHMARKS.md section 16). It speaks exactly what
/// the tool needs: one request at a time, bodies by Content-Length or chunked, and
/// <c>Connection: close</c>.
/// </summary>
public sealed class Http1Connection : IDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _deadline = new();
    private byte[] _request = new byte[1024];
    private byte[] _response = new byte[2048];

    private Http1Connection(Socket socket) => _socket = socket;

    /// <summary>Whether it has answered a request before: a server may have closed it meanwhile.</summary>
    public bool Used { get; private set; }

    public static async Task<Http1Connection> OpenAsync(EndPoint server, IPAddress? local, TimeSpan timeout)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (local is not null)
            {
                socket.Bind(new IPEndPoint(local, 0));
            }
            using var connectTimeout = new CancellationTokenSource(timeout);
            await socket.ConnectAsync(server, connectTimeout.Token);
            return new Http1Connection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends <paramref name="call"/> and reads its answer; KeepAlive is false when the connection is
    /// not to be used again (the server closes it). Throws <see cref="OperationCanceledException"/>
    /// past <paramref name="timeout"/>, <see cref="SocketException"/> or <see cref="ConnectionClosedException"/>
    /// when the connection fails: it is not to be used again either.
    /// </summary>
    public async ValueTask<(Reply Reply, bool KeepAlive)> ExchangeAsync(Call call, ReadOnlyMemory<byte> host, TimeSpan timeout)
    {
        // One source per connection, armed for each request and disarmed after it (below).
        _deadline.CancelAfter(timeout);
        var length = WriteRequest(call, host.Span);
        var sent = 0;
        try
        {
            while (sent < length)
            {
                sent += await _socket.SendAsync(_request.AsMemory(sent, length - sent), SocketFlags.None, _deadline.Token);
            }
        }
        catch (SocketException) when (Used)
        {
            // The server closed it while it was idle, and said so with a reset already.
            throw new ConnectionClosedException(ClosedBeforeAnswering);
        }
        var (reply, keepAlive) = await ReadResponseAsync();
        Used = true;
        // Disarmed while it waits for the next request: an idle connection's timer would fire and
        // fail that request (a timer that fired just now cannot be disarmed: not kept then).
        return (reply, keepAlive && _deadline.TryReset());
    }

    private int WriteRequest(Call call, ReadOnlySpan<byte> host)
    {
        var needed = 256 + host.Length + call.Path.Length + call.UserAgent.Length + (call.Token?.Length ?? 0) +
                     (call.PurchaseToken?.Length ?? 0) + call.ContentType.Length + (call.Body?.Length ?? 0);
        if (_request.Length < needed)
        {
            _request = new byte[needed * 2];
        }
        var buffer = _request.AsSpan();
        var at = 0;
        Put(buffer, ref at, call.Method.Method);
        Put(buffer, ref at, " ");
        Put(buffer, ref at, call.Path);
        Put(buffer, ref at, " HTTP/1.1\r\n");
        Put(buffer, ref at, host);
        Header(buffer, ref at, "User-Agent: ", call.UserAgent);
        if (call.Token is not null)
        {
            Header(buffer, ref at, "Authorization: Bearer ", call.Token);
        }
        if (call.PurchaseToken is not null)
        {
            Header(buffer, ref at, "X-Purchase-Token: ", call.PurchaseToken);
        }
        if (call.Body is not null)
        {
            Header(buffer, ref at, "Content-Type: ", call.ContentType);
            Put(buffer, ref at, "Content-Length: ");
            Utf8Formatter.TryFormat(call.Body.Length, buffer[at..], out var digits);
            at += digits;
            Put(buffer, ref at, "\r\n\r\n");
            Put(buffer, ref at, call.Body);
        }
        else
        {
            // A body-less POST says so, as browsers do.
            Put(buffer, ref at, call.Method == HttpMethod.Get ? "\r\n" : "Content-Length: 0\r\n\r\n");
        }
        return at;
    }

    private static void Header(Span<byte> buffer, ref int at, string nameAndColon, string value)
    {
        Put(buffer, ref at, nameAndColon);
        Put(buffer, ref at, value);
        Put(buffer, ref at, "\r\n");
    }

    private static void Put(Span<byte> buffer, ref int at, string ascii) => at += Encoding.ASCII.GetBytes(ascii, buffer[at..]);

    private static void Put(Span<byte> buffer, ref int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(buffer[at..]);
        at += bytes.Length;
    }

    private async ValueTask<(Reply Reply, bool KeepAlive)> ReadResponseAsync()
    {
        var filled = 0;
        int headersEnd;
        while ((headersEnd = _response.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
        {
            filled = await ReceiveAsync(filled);
        }
        var head = Head.Parse(_response.AsSpan(0, headersEnd + 2));
        var bodyStart = headersEnd + 4;
        int bodyLength, end;
        if (head.Chunked)
        {
            (bodyLength, end, filled) = await ReadChunkedAsync(bodyStart, filled);
        }
        else
        {
            bodyLength = head.ContentLength;
            end = bodyStart + bodyLength;
            while (filled < end)
            {
                filled = await ReceiveAsync(filled);
            }
        }
        // One request at a time: anything after the answer means the two sides disagree on framing.
        var keepAlive = !head.Close && filled == end;
        return (Reply.Parse(head.Status, _response.AsSpan(bodyStart, bodyLength)), keepAlive);
    }

    /// <summary>
    /// Decodes a chunked body in place, the chunks' data moved together at <paramref name="bodyStart"/>;
    /// returns its length, where the encoded body ended, and how much of the buffer is filled.
    /// </summary>
    private async ValueTask<(int Length, int End, int Filled)> ReadChunkedAsync(int bodyStart, int filled)
    {
        var read = bodyStart; // the next chunk's size line
        var write = bodyStart; // where the next chunk's data goes
        while (true)
        {
            var lineEnd = _response.AsSpan(read, filled - read).IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                filled = await ReceiveAsync(filled);
                continue;
            }
            var sizeLine = _response.AsSpan(read, lineEnd);
            var extension = sizeLine.IndexOf((byte)';');
            if (!Utf8Parser.TryParse(extension < 0 ? sizeLine : sizeLine[..extension], out int size, out _, 'x') || size < 0)
            {
                throw new ConnectionClosedException("unreadable_response");
            }
            var dataStart = read + lineEnd + 2;
            // The data and its CRLF; the last chunk (0) is followed by the CRLF that ends the (absent) trailers.
            while (filled < dataStart + size + 2)
            {
                filled = await ReceiveAsync(filled);
            }
            if (size == 0)
            {
                return (write - bodyStart, dataStart + 2, filled);
            }
            _response.AsSpan(dataStart, size).CopyTo(_response.AsSpan(write));
            write += size;
            read = dataStart + size + 2;
        }
    }

    /// <summary>The connection ended before any byte of an answer: the server closed it (idle), and never read the request.</summary>
    public const string ClosedBeforeAnswering = "ConnectionClosed";

    private async ValueTask<int> ReceiveAsync(int filled)
    {
        if (filled == _response.Length)
        {
            Array.Resize(ref _response, _response.Length * 2);
        }
        int received;
        try
        {
            received = await _socket.ReceiveAsync(_response.AsMemory(filled), SocketFlags.None, _deadline.Token);
        }
        catch (SocketException e) when (filled == 0 && e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // A request written to a connection the server had closed is answered by a reset.
            throw new ConnectionClosedException(ClosedBeforeAnswering);
        }
        if (received == 0)
        {
            throw new ConnectionClosedException(filled == 0 ? ClosedBeforeAnswering : "ResponseEnded");
        }
        return filled + received;
    }

    public void Dispose()
    {
        _socket.Dispose();
        _deadline.Dispose();
    }

    /// <summary>The status line and the three headers the tool acts on.</summary>
    private readonly record struct Head(int Status, int ContentLength, bool Chunked, bool Close)
    {
        public static Head Parse(ReadOnlySpan<byte> head)
        {
            // "HTTP/1.1 200 OK\r\n"
            if (head.Length < 12 || !head.StartsWith("HTTP/1."u8) || !Utf8Parser.TryParse(head.Slice(9, 3), out int status, out _))
            {
                throw new ConnectionClosedException("unreadable_response");
            }
            int contentLength = 0;
            bool chunked = false, close = head[7] == (byte)'0';
            var rest = head[(head.IndexOf("\r\n"u8) + 2)..];
            while (rest.Length > 0)
            {
                var end = rest.IndexOf("\r\n"u8);
                var line = rest[..end];
                rest = rest[(end + 2)..];
                var colon = line.IndexOf((byte)':');
                if (colon < 0)
                {
                    continue;
                }
                var name = line[..colon];
                var value = line[(colon + 1)..].Trim((byte)' ');
                if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
                {
                    Utf8Parser.TryParse(value, out contentLength, out _);
                }
                else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
                {
                    chunked = value.IndexOf("chunked"u8) >= 0;
                }
                else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
                {
                    close = Ascii.EqualsIgnoreCase(value, "close"u8) || (close && !Ascii.EqualsIgnoreCase(value, "keep-alive"u8));
                }
            }
            return new Head(status, contentLength, chunked, close);
        }
    }
}

/// <summary>The connection ended or answered something that is not HTTP: the request got no answer.</summary>
public sealed class ConnectionClosedException(string why) : Exception(why);
