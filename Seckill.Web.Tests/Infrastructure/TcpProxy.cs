using System.Net;
using System.Net.Sockets;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>
/// A TCP forwarder on a free loopback port to a server on another loopback port, that a test can
/// cut: a network partition between one client (pointed at <see cref="Port"/>) and that server,
/// while every other client still reaches it directly.
/// </summary>
/// <remarks>
/// <see cref="Cut"/> closes every connection through the proxy and, until <see cref="Restore"/>,
/// closes each new one as soon as it is accepted (no byte is forwarded either way).
/// </remarks>
public sealed class TcpProxy : IDisposable
{
    private readonly int _target;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(TcpClient Client, TcpClient Server)> _links = [];
    private readonly Task _accepting;
    private volatile bool _cut;

    public TcpProxy(int targetPort)
    {
        _target = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>Connections accepted while cut (closed at once): how often the client tried to come back.</summary>
    public int Refused { get; private set; }

    /// <summary>
    /// A Redis configuration (<c>host:port,option=…</c>) rewritten to go through this proxy,
    /// options (the database) kept.
    /// </summary>
    public string Configuration(string redisConfiguration)
    {
        var comma = redisConfiguration.IndexOf(',');
        return $"127.0.0.1:{Port}{(comma < 0 ? "" : redisConfiguration[comma..])}";
    }

    /// <summary>Closes every connection through the proxy; new ones are closed on arrival until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        _cut = true;
        List<(TcpClient Client, TcpClient Server)> links;
        lock (_links)
        {
            links = [.. _links];
            _links.Clear();
        }
        foreach (var (client, server) in links)
        {
            Close(client);
            Close(server);
        }
    }

    /// <summary>Lets new connections through again.</summary>
    public void Restore() => _cut = false;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (_cut)
            {
                Refused++;
                Close(client);
                continue;
            }
            _ = LinkAsync(client);
        }
    }

    private async Task LinkAsync(TcpClient client)
    {
        var server = new TcpClient();
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            Close(client);
            Close(server);
            return;
        }
        client.NoDelay = server.NoDelay = true;
        lock (_links)
        {
            if (_cut)
            {
                Close(client);
                Close(server);
                return;
            }
            _links.Add((client, server));
        }
        // Each direction until either side closes; then both are closed.
        await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        lock (_links)
        {
            _links.Remove((client, server));
        }
        Close(client);
        Close(server);
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            var input = from.GetStream();
            var output = to.GetStream();
            while (true)
            {
                var read = await input.ReadAsync(buffer, _stop.Token);
                if (read == 0 || _cut)
                {
                    return;
                }
                await output.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException or InvalidOperationException)
        {
            // Closed under it (a cut, or the other side went away).
        }
    }

    private static void Close(TcpClient client)
    {
        // A link can be closed twice at once (a cut, and its pump ending because of it); a closed
        // TcpClient has no socket any more, so each close looks under the client's lock.
        lock (client)
        {
            try
            {
                // RST rather than FIN: the client sees the link die, as in a partition it would time out.
                if (client.Client is { } socket)
                {
                    socket.LingerState = new LingerOption(true, 0);
                }
                client.Close();
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        Cut();
        try
        {
            _accepting.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }
}
