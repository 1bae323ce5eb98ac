using System.Net;
using System.Text;
using System.Text.Json;
using Messaging.Testing;
using Npgsql;
using RabbitMQ.Client;

namespace Messaging.Gateway.Tests.Commands;

/// <summary>
/// A gateway (see <see cref="GatewayHost"/>) that reaches PostgreSQL and RabbitMQ through TCP proxies, so a
/// test can take either away from this gateway alone (the shared services keep running for other tests).
/// Its outbox relay is off: every message in the fixture's queues was published by the direct fallback.
/// </summary>
public class FallbackGateway : GatewayHost
{
    private TcpProxy? _postgres;
    private TcpProxy? _rabbit;

    /// <summary>The proxy in front of PostgreSQL.</summary>
    public TcpProxy Postgres => _postgres ?? throw new InvalidOperationException("Not initialized.");

    /// <summary>The proxy in front of RabbitMQ.</summary>
    public TcpProxy Rabbit => _rabbit ?? throw new InvalidOperationException("Not initialized.");

    /// <summary>The tenant whose callbacks may go to <c>https://hooks.example.com</c>.</summary>
    public const string CallbackTenant = "tenant-direct-scheduled";

    /// <summary>How long the direct publish waits for a confirm.</summary>
    protected virtual string PublishTimeout => "00:00:03";

    public override IDictionary<string, string?> HostConfiguration()
    {
        var configuration = base.HostConfiguration();
        _postgres ??= new TcpProxy(new IPEndPoint(IPAddress.Loopback, new NpgsqlConnectionStringBuilder(PostgresConnectionString).Port));
        var rabbit = new Uri(RabbitMqConnectionString);
        _rabbit ??= new TcpProxy(new IPEndPoint(IPAddress.Loopback, rabbit.Port));
        configuration["ConnectionStrings:Postgres"] =
            new NpgsqlConnectionStringBuilder(PostgresConnectionString) { Port = Postgres.Port, Timeout = 2 }.ConnectionString;
        configuration["ConnectionStrings:RabbitMq"] = new UriBuilder(rabbit) { Port = Rabbit.Port }.Uri.ToString();
        configuration["Outbox:Relay:Enabled"] = "false";
        configuration["Commands:Fallback:PublishTimeout"] = PublishTimeout;
        configuration[$"Tenants:{CallbackTenant}:CallbackOrigins:0"] = "https://hooks.example.com";
        return configuration;
    }

    /// <summary>A client with a bearer token for <paramref name="tenant"/> (issued locally: no database needed).</summary>
    public HttpClient ClientFor(string tenant) => TestTokens.ClientFor(Factory, tenant);

    /// <summary>Restores PostgreSQL and waits until the gateway reads from it again (its breaker closed).</summary>
    public async Task RestorePostgresAsync(HttpClient client)
    {
        Postgres.Restore();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            using var response = await client.GetAsync($"/api/commands/{Guid.NewGuid()}", TestContext.Current.CancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < until, "the gateway did not read from PostgreSQL again within 30 s");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Takes every message now in <paramref name="queue"/> of the fixture's vhost (read directly, not through the proxy).</summary>
    public async Task<List<BasicGetResult>> DrainAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(RabbitMqConnectionString) };
        await using var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        var messages = new List<BasicGetResult>();
        while (await channel.BasicGetAsync(queue, autoAck: true, TestContext.Current.CancellationToken) is { } message)
        {
            messages.Add(message);
        }

        return messages;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        if (_rabbit is not null)
        {
            await _rabbit.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    public static string? HeaderText(IDictionary<string, object?> headers, string name) =>
        headers.TryGetValue(name, out var value) ? value switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            _ => value?.ToString(),
        } : null;

    /// <summary>Fails when a response body carries anything internal.</summary>
    public static void AssertNoLeaks(string body)
    {
        foreach (var leak in new[] { "127.0.0.1", "localhost", "Npgsql", "RabbitMQ", "MassTransit", "Exception", "Password", "Host=", "amqp://", "at Messaging", "StackExchange" })
        {
            Assert.DoesNotContain(leak, body, StringComparison.OrdinalIgnoreCase);
        }
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();
}
