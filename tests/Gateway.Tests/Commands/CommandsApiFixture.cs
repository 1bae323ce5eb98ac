using System.Net.Http.Headers;
using System.Text;
using Messaging.Gateway.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Messaging.Gateway.Tests.Commands;

/// <summary>
/// The gateway (see <see cref="GatewayHost"/>) on a fresh database and vhost, one per test class, with a
/// fake clock. Its outbox relay is off, so rows stay as the API wrote them; see <see cref="RelayingCommandsApiFixture"/>.
/// </summary>
public class CommandsApiFixture : GatewayHost
{
    /// <summary>The gateway's clock; starts at a fixed instant so deadlines and expiries are exact.</summary>
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2031, 5, 4, 10, 0, 0, TimeSpan.Zero));

    /// <summary>Whether the gateway's outbox relay publishes the rows to RabbitMQ.</summary>
    protected virtual bool RunRelay => false;

    public override IDictionary<string, string?> HostConfiguration()
    {
        var configuration = base.HostConfiguration();
        configuration["Outbox:Relay:Enabled"] = RunRelay ? "true" : "false";
        // The relay's linger waits on the injected clock, which stands still here: passes start as soon as a commit wakes them.
        configuration["Outbox:Relay:Linger"] = "00:00:00";
        // The route bulkhead's defaults (64 running + 32 queued) would refuse 4 of the 100 simultaneous
        // requests of the idempotency test with 503 before they reach the API; these tests are about the API.
        configuration["Resilience:Routes:accept:QueueLimit"] = "64";
        return configuration;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder) =>
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Time));

    /// <summary>A client with a bearer token for <paramref name="tenant"/>, issued now (by the fake clock).</summary>
    public HttpClient ClientFor(string tenant, string scopes = GatewayClaims.CommandsScope, string? clientId = null) =>
        TestTokens.ClientFor(Factory, tenant, scopes, clientId);

    public async Task<NpgsqlConnection> OpenDatabaseAsync()
    {
        var connection = new NpgsqlConnection(PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }

    public async Task<long> CountAsync(string table, string where = "true")
    {
        await using var connection = await OpenDatabaseAsync();
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table} WHERE {where}", connection);
        return (long)(await count.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}

/// <summary>Tokens straight from the host's <see cref="AccessTokenIssuer"/> (no client row, no token endpoint round trip).</summary>
internal static class TestTokens
{
    public static HttpClient ClientFor(WebApplicationFactory<Program> factory, string tenant, string scopes = GatewayClaims.CommandsScope, string? clientId = null)
    {
        var issuer = factory.Services.GetRequiredService<AccessTokenIssuer>();
        var (token, _) = issuer.Issue(clientId ?? "client-of-" + tenant, tenant, scopes.Split(' '));
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

/// <summary>Request builders shared by the commands tests.</summary>
internal static class CommandRequestsFor
{
    public const string Charge = """{"amount":10.50,"currency":"EUR","customerId":"cus_123","description":"Order 42"}""";
    public const string Email = """{"channel":"email","to":"ada@example.com","subject":"Hello","body":"Hi Ada"}""";

    public static HttpRequestMessage Post(string type, string body, string? idempotencyKey = null, string? timeout = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/commands/{type}")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        if (timeout is not null)
        {
            request.Headers.TryAddWithoutValidation("Command-Timeout", timeout);
        }

        return request;
    }
}
