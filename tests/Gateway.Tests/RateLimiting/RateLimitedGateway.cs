using System.Net;
using System.Net.Http.Headers;
using Messaging.Gateway.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Messaging.Gateway.Tests.RateLimiting;

/// <summary>
/// A gateway (see <see cref="GatewayHost"/>) behind a known reverse proxy: every in-memory request arrives from
/// <see cref="ProxyAddress"/> (configured in <c>ForwardedHeaders:KnownProxies</c>), so tests choose the client
/// address with <c>X-Forwarded-For</c> (<see cref="From"/>), or arrive from another peer with the
/// <see cref="PeerHeader"/> test header. Derived fixtures add their limits with <see cref="Limits"/>.
/// </summary>
public abstract class RateLimitedGateway : GatewayHost
{
    /// <summary>The reverse proxy's address (loopback, so nothing here ever looks like a real network).</summary>
    public const string ProxyAddress = "127.0.0.10";

    /// <summary>A test-only header: the connection's remote address, instead of <see cref="ProxyAddress"/>.</summary>
    public const string PeerHeader = "X-Test-Peer";

    /// <summary>The rate limiting settings of this fixture (keys under <c>RateLimiting:</c>, and any other).</summary>
    protected abstract IDictionary<string, string?> Limits();

    public override IDictionary<string, string?> HostConfiguration()
    {
        var configuration = base.HostConfiguration();
        configuration["ForwardedHeaders:KnownProxies:0"] = ProxyAddress;
        configuration["Outbox:Relay:Enabled"] = "false";
        // These fixtures count exact decisions, so they must be Redis's: with the production redis pipeline (250 ms
        // attempts, calls over 200 ms counted as failures) a two-core machine busy hashing secrets for parallel tests
        // can open the breaker and send an instance to its local share. The fallback has its own tests
        // (RedisOutageTests, which sets the production figures back).
        configuration["Resilience:Dependencies:redis:AttemptTimeout"] = "00:00:03";
        configuration["Resilience:Dependencies:redis:TotalTimeout"] = "00:00:05";
        configuration["Resilience:Dependencies:redis:Breaker:SlowCallThreshold"] = "00:00:03";
        foreach (var (key, value) in Limits())
        {
            configuration[key] = value;
        }

        return configuration;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder) =>
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, PeerAddressStartupFilter>());

    /// <summary>Another gateway instance with the same settings: same database, vhost and Redis prefix.</summary>
    public WebApplicationFactory<Program> CreateSecondInstance() => CreateFactory(HostConfiguration(), ConfigureWebHost);

    /// <summary>A request as forwarded by the proxy for <paramref name="clientAddress"/>.</summary>
    public static HttpRequestMessage From(string clientAddress, HttpMethod method, string path, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add("X-Forwarded-For", clientAddress);
        return request;
    }

    /// <summary>A bearer client of <paramref name="tenant"/> (token from the host's issuer, no token request).</summary>
    public HttpClient ClientFor(WebApplicationFactory<Program> factory, string tenant, string scopes = GatewayClaims.CommandsScope)
    {
        var issuer = factory.Services.GetRequiredService<AccessTokenIssuer>();
        var (token, _) = issuer.Issue("client-of-" + tenant, tenant, scopes.Split(' '));
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<long> CountCommandsAsync(string tenant)
    {
        await using var connection = new NpgsqlConnection(PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM commands WHERE tenant = @tenant", connection);
        count.Parameters.AddWithValue("tenant", tenant);
        return (long)(await count.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    private sealed class PeerAddressStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(
                    context.Request.Headers.TryGetValue(PeerHeader, out var peer) ? peer.ToString() : ProxyAddress);
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
