using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Gateway.Tests.Security;

/// <summary>
/// The gateway (see <see cref="GatewayHost"/>, production limits and bulkheads from appsettings.json unless a derived
/// fixture changes them, as <see cref="GenerousLoopbackGateway"/> does) served by real
/// Kestrel on 127.0.0.1 with a dynamic port, for tests that need the gateway to see distinct source addresses: clients
/// from <see cref="ClientFrom"/> bind their sockets to a chosen 127.0.0.0/8 address before connecting (Linux routes the
/// whole block to the loopback interface), so each gets its own per-IP and failed-secret partitions, no proxy headers
/// involved. The in-memory host of the base fixture shares the database and Redis prefix (clients are added through it).
/// </summary>
public class LoopbackKestrelGateway : GatewayHost
{
    private WebApplicationFactory<Program>? _kestrel;

    /// <summary>The Kestrel server's address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public override IDictionary<string, string?> HostConfiguration()
    {
        var configuration = base.HostConfiguration();
        configuration["Outbox:Relay:Enabled"] = "false";

        // The flood test shows what a costly token request did in production: the auth bulkhead's queue outlives the
        // request timeout and the route:auth breaker opens. With the production 10 s that takes a flood several times
        // longer; 2 s keeps it short, and is still over ten times what a token request takes here under the flood.
        configuration["Resilience:Routes:auth:RequestTimeout"] = "00:00:02";

        // Exact limiter decisions must be Redis's, even on a busy two-core machine (see RateLimitedGateway).
        configuration["Resilience:Dependencies:redis:AttemptTimeout"] = "00:00:03";
        configuration["Resilience:Dependencies:redis:TotalTimeout"] = "00:00:05";
        configuration["Resilience:Dependencies:redis:Breaker:SlowCallThreshold"] = "00:00:03";
        return configuration;
    }

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _kestrel = CreateFactory(HostConfiguration());
        _kestrel.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _kestrel.StartServer();
        var address = _kestrel.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
    }

    /// <summary>A client whose connections come from <paramref name="source"/> (a 127.0.0.0/8 address).</summary>
    public HttpClient ClientFrom(string source)
    {
        var local = new IPEndPoint(IPAddress.Parse(source), 0);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(local);
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = BaseAddress };
    }

    public override async ValueTask DisposeAsync()
    {
        if (_kestrel is not null)
        {
            await _kestrel.DisposeAsync();
        }

        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
