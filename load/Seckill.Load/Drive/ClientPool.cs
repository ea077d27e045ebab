using System.Net;
using System.Net.Sockets;

namespace Seckill.Load.Drive;

/// <summary>
/// One <see cref="AddressClient"/> per simulated client address. Against a loopback target every
/// client connects from its own 127.x.y.z address (Linux routes all of 127/8 to the loopback
/// device), so thousands of simulated buyers are thousands of clients to the server's per-address
/// rate limit — as they are in a real sale. Against any other host there is one address: ours.
/// </summary>
public sealed class ClientPool : IDisposable
{
    /// <summary>The purchase route refuses scripting User-Agents (403 bot_suspected); buyers send a browser's.</summary>
    public const string BrowserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

    private readonly AddressClient?[] _clients;
    private readonly EndPoint _server;
    private readonly ReadOnlyMemory<byte> _hostHeader;
    private readonly int _firstAddress;
    private readonly TimeSpan _timeout;
    private readonly bool _distinctAddresses;
    private readonly int _connectionsPerAddress;

    public ClientPool(Uri target, int addresses, int firstAddress, TimeSpan timeout, int connectionsPerAddress = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(addresses, 1);
        if (target.Scheme != Uri.UriSchemeHttp)
        {
            throw new ArgumentException($"the load tool speaks plain HTTP/1.1 to the service or its gateway, not {target.Scheme}", nameof(target));
        }
        _connectionsPerAddress = connectionsPerAddress;
        _server = ServerOf(target);
        _hostHeader = AddressClient.HostHeader(target);
        _firstAddress = firstAddress;
        _timeout = timeout;
        _distinctAddresses = IsLoopback(target);
        _clients = new AddressClient?[_distinctAddresses ? addresses : 1];
    }

    public int Addresses => _clients.Length;

    /// <summary>The client of simulated client number <paramref name="client"/> (any non-negative number).</summary>
    public AddressClient For(long client)
    {
        var slot = (int)(client % _clients.Length);
        var existing = Volatile.Read(ref _clients[slot]);
        if (existing is not null)
        {
            return existing;
        }
        var created = new AddressClient(_server, _distinctAddresses ? AddressOf(_firstAddress + slot) : null, _hostHeader, _connectionsPerAddress, _timeout);
        if (Interlocked.CompareExchange(ref _clients[slot], created, null) is { } raced)
        {
            created.Dispose();
            return raced;
        }
        return created;
    }

    /// <summary>
    /// Opens every address's connections, as many as it may have, before anything is measured.
    /// Otherwise they are opened during the run, exactly when the first answers are slow (the start
    /// of a sale): every busy connection makes the next buyer's request open another, and thousands
    /// of connections opened in two seconds cost both processes the CPU they are short of
    /// (BENCHMARKS.md section 11). A few addresses at a time, so the opening is no storm either.
    /// </summary>
    public async Task OpenConnectionsAsync(CancellationToken cancellationToken)
    {
        const int addressesAtOnce = 32;
        for (var first = 0; first < _clients.Length; first += addressesAtOnce)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.WhenAll(Enumerable.Range(first, Math.Min(addressesAtOnce, _clients.Length - first)).Select(slot => For(slot).OpenAsync()));
        }
    }

    /// <summary>The n-th client address: 127.1.0.1, 127.1.0.2, … (the scheme of load/seckill_http.py).</summary>
    public static IPAddress AddressOf(int n) =>
        new([127, (byte)(1 + (n / 65024)), (byte)(n / 254 % 256), (byte)((n % 254) + 1)]);

    private static bool IsLoopback(Uri target) =>
        target.IsLoopback && (target.Host == "localhost" || (IPAddress.TryParse(target.Host, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork));

    /// <summary>The service's IPv4 endpoint ("localhost" is 127.0.0.1: the client addresses are IPv4).</summary>
    private static IPEndPoint ServerOf(Uri target)
    {
        var address = target.Host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(target.Host, out var ip) ? ip
            : Dns.GetHostAddresses(target.Host).First(a => a.AddressFamily == AddressFamily.InterNetwork);
        return new IPEndPoint(address, target.Port);
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client?.Dispose();
        }
    }
}
