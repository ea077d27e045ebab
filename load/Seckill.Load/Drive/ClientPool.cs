using System.Net;
using System.Net.Sockets;

namespace Seckill.Load.Drive;

/// <summary>
/// One <see cref="HttpClient"/> per simulated client address. Against a loopback target every
/// client connects from its own 127.x.y.z address (Linux routes all of 127/8 to the loopback
/// device), so thousands of simulated buyers are thousands of clients to the server's per-address
/// rate limit — as they are in a real sale. Against any other host there is one address: ours.
/// </summary>
public sealed class ClientPool : IDisposable
{
    /// <summary>The purchase route refuses scripting User-Agents (403 bot_suspected); buyers send a browser's.</summary>
    public const string BrowserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

    private readonly HttpClient?[] _clients;
    private readonly Uri _target;
    private readonly int _firstAddress;
    private readonly TimeSpan _timeout;
    private readonly bool _distinctAddresses;
    private readonly int _connectionsPerAddress;

    public ClientPool(Uri target, int addresses, int firstAddress, TimeSpan timeout, int connectionsPerAddress = 8)
    {
        _connectionsPerAddress = connectionsPerAddress;
        ArgumentOutOfRangeException.ThrowIfLessThan(addresses, 1);
        _target = target;
        _firstAddress = firstAddress;
        _timeout = timeout;
        _distinctAddresses = IsLoopback(target);
        _clients = new HttpClient?[_distinctAddresses ? addresses : 1];
    }

    public int Addresses => _clients.Length;

    /// <summary>The client of simulated client number <paramref name="client"/> (any non-negative number).</summary>
    public HttpClient For(long client)
    {
        var slot = (int)(client % _clients.Length);
        var existing = Volatile.Read(ref _clients[slot]);
        if (existing is not null)
        {
            return existing;
        }
        var created = Create(_distinctAddresses ? AddressOf(_firstAddress + slot) : null);
        return Interlocked.CompareExchange(ref _clients[slot], created, null) ?? created;
    }

    /// <summary>
    /// Opens every address's connections, as many as it may have, before anything is measured.
    /// Otherwise the pools grow during the run, exactly when the first answers are slow (the start
    /// of a sale): every busy connection makes the next buyer's request open another, and thousands
    /// of connections opened in two seconds cost both processes the CPU they are short of
    /// (BENCHMARKS.md section 11). Concurrent reads of <paramref name="path"/> make the handler open
    /// a connection for each; a few addresses at a time, so the opening is no storm either.
    /// </summary>
    public async Task OpenConnectionsAsync(string path, CancellationToken cancellationToken)
    {
        const int addressesAtOnce = 32;
        for (var first = 0; first < _clients.Length; first += addressesAtOnce)
        {
            var slots = Enumerable.Range(first, Math.Min(addressesAtOnce, _clients.Length - first));
            await Task.WhenAll(slots.SelectMany(slot => Enumerable.Range(0, _connectionsPerAddress).Select(_ => ReadAsync(For(slot)))));
        }

        async Task ReadAsync(HttpClient client)
        {
            try
            {
                using var response = await client.GetAsync(path, cancellationToken);
            }
            catch (HttpRequestException)
            {
                // Only the connection matters here; a service that does not answer fails the run itself.
            }
        }
    }

    /// <summary>The n-th client address: 127.1.0.1, 127.1.0.2, … (the scheme of load/seckill_http.py).</summary>
    public static IPAddress AddressOf(int n) =>
        new([127, (byte)(1 + (n / 65024)), (byte)(n / 254 % 256), (byte)((n % 254) + 1)]);

    private static bool IsLoopback(Uri target) =>
        target.IsLoopback && (target.Host == "localhost" || (IPAddress.TryParse(target.Host, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork));

    private HttpClient Create(IPAddress? local)
    {
        var handler = new SocketsHttpHandler
        {
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = _timeout,
            // As a browser does: a few connections per client, requests beyond wait for one.
            // Unbounded, a stalling service would see every waiting request open a connection
            // of its own, and the tool's connect storm would overflow the service's accept queue.
            MaxConnectionsPerServer = _connectionsPerAddress,
        };
        if (local is not null)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    var host = context.DnsEndPoint.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(context.DnsEndPoint.Host);
                    await socket.ConnectAsync(new IPEndPoint(host, context.DnsEndPoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        return new HttpClient(handler) { BaseAddress = _target, Timeout = _timeout };
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client?.Dispose();
        }
    }
}
