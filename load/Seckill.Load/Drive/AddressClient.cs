using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Seckill.Load.Drive;

/// <summary>
/// One simulated client address and its keep-alive connections to the service: as a browser, a few
/// connections at most, and a request beyond that waits for one to be free. Unbounded, a stalling
/// service would see every waiting request open a connection of its own, and the tool's connect
/// storm would overflow the service's accept queue.
/// </summary>
/// <remarks>
/// The tool's own HTTP/1.1 client (<see cref="Http1Connection"/>) rather than <c>HttpClient</c>:
/// on this 2-core machine the tool shares the CPU with the service it measures, and
/// <c>HttpClient</c>'s generality (request and response objects, header collections, content
/// buffering) made it a quarter to a third of the machine in a flash sale (BENCHMARKS.md section 16).
/// </remarks>
public sealed class AddressClient(EndPoint server, IPAddress? local, ReadOnlyMemory<byte> hostHeader, int connections, TimeSpan timeout) : IDisposable
{
    private readonly SemaphoreSlim _free = new(connections, connections);
    private readonly ConcurrentStack<Http1Connection> _idle = new();
    private volatile bool _disposed;

    /// <summary>The <c>Host</c> header line every request carries.</summary>
    public static ReadOnlyMemory<byte> HostHeader(Uri target) => Encoding.ASCII.GetBytes($"Host: {target.Authority}\r\n");

    /// <summary>Sends the call and reads its answer; a failure is an answer too (<see cref="Reply.NoResponse"/>).</summary>
    public async Task<Reply> SendAsync(Call call)
    {
        if (!await _free.WaitAsync(timeout))
        {
            return Reply.NoResponse("timeout");
        }
        try
        {
            // A connection the server closed while it was idle fails before any answer: the request
            // was never read, so it goes once more on a new connection (as HttpClient does).
            for (var attempt = 0; ; attempt++)
            {
                var reused = _idle.TryPop(out var connection);
                try
                {
                    connection ??= await Http1Connection.OpenAsync(server, local, timeout);
                    var (reply, keepAlive) = await connection.ExchangeAsync(call, hostHeader, timeout);
                    if (keepAlive && !_disposed)
                    {
                        _idle.Push(connection);
                    }
                    else
                    {
                        connection.Dispose();
                    }
                    return reply;
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException or ConnectionClosedException or ObjectDisposedException)
                {
                    connection?.Dispose();
                    if (reused && attempt == 0 && e is ConnectionClosedException { Message: Http1Connection.ClosedBeforeAnswering })
                    {
                        continue;
                    }
                    return Reply.NoResponse(e switch
                    {
                        OperationCanceledException => "timeout",
                        SocketException socket => socket.SocketErrorCode.ToString(),
                        _ => e.Message,
                    });
                }
            }
        }
        finally
        {
            _free.Release();
        }
    }

    /// <summary>Opens up to its connections before anything is measured (<see cref="ClientPool.OpenConnectionsAsync"/>).</summary>
    public async Task OpenAsync()
    {
        for (var i = _idle.Count; i < connections; i++)
        {
            try
            {
                _idle.Push(await Http1Connection.OpenAsync(server, local, timeout));
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                // Only the connection matters here; a service that does not answer fails the run itself.
                return;
            }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryPop(out var connection))
        {
            connection.Dispose();
        }
    }
}
