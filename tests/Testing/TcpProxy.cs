using System.Net;
using System.Net.Sockets;

namespace Messaging.Testing;

/// <summary>
/// A small in-process TCP proxy on loopback (Toxiproxy-style) for faults a process stop cannot give:
/// it forwards to a target, and on command adds latency, refuses new connections and resets the
/// existing ones (the dependency "goes away"), or blackholes traffic (connections stay open, nothing
/// flows). Every fault is undone by <see cref="Restore"/> and by disposing the proxy.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<(TcpClient Client, TcpClient Upstream)> _connections = [];
    private readonly Lock _lock = new();
    private readonly Task _acceptLoop;
    private volatile ProxyMode _mode = ProxyMode.Forward;
    private TimeSpan _latency;

    /// <summary>Starts listening on a free loopback port, forwarding to <paramref name="target"/>.</summary>
    public TcpProxy(IPEndPoint target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    /// <summary>The port clients connect to.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Delays every chunk forwarded in either direction.</summary>
    public void AddLatency(TimeSpan latency) => _latency = latency;

    /// <summary>Resets every open connection and refuses new ones, as if the dependency stopped.</summary>
    public void Cut()
    {
        _mode = ProxyMode.Refuse;
        ResetAll();
    }

    /// <summary>Keeps connections open but forwards nothing: calls hang until their own timeouts.</summary>
    public void Blackhole() => _mode = ProxyMode.Blackhole;

    /// <summary>Back to plain forwarding, no latency.</summary>
    public void Restore()
    {
        _latency = TimeSpan.Zero;
        _mode = ProxyMode.Forward;
    }

    /// <summary>Stops listening and resets every open connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        ResetAll();
        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_mode == ProxyMode.Refuse)
            {
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(_target, _stopping.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            client.Dispose();
            upstream.Dispose();
            return;
        }

        lock (_lock)
        {
            _connections.Add((client, upstream));
        }

        using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var up = PumpAsync(client.GetStream(), upstream.GetStream(), connection.Token);
        var down = PumpAsync(upstream.GetStream(), client.GetStream(), connection.Token);
        await Task.WhenAny(up, down);
        await connection.CancelAsync();
        client.Dispose();
        upstream.Dispose();
        lock (_lock)
        {
            _connections.Remove((client, upstream));
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                while (_mode == ProxyMode.Blackhole)
                {
                    await Task.Delay(50, cancellationToken);
                }

                if (_latency > TimeSpan.Zero)
                {
                    await Task.Delay(_latency, cancellationToken);
                }

                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection ended or was reset.
        }
    }

    private void ResetAll()
    {
        List<(TcpClient Client, TcpClient Upstream)> open;
        lock (_lock)
        {
            open = [.. _connections];
            _connections.Clear();
        }

        foreach (var (client, upstream) in open)
        {
            foreach (var socket in new[] { client, upstream })
            {
                try
                {
                    // A connection that ended by itself meanwhile has no socket left to reset.
                    if (socket.Client is { } connected)
                    {
                        connected.LingerState = new LingerOption(true, 0);
                    }

                    socket.Dispose();
                }
                catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
                {
                    // Already closed.
                }
            }
        }
    }

    private enum ProxyMode
    {
        Forward,
        Refuse,
        Blackhole,
    }
}
