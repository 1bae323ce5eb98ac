using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Messaging.Testing;
using Messaging.Testing.Harness;
using Npgsql;

namespace Messaging.System.Tests.Fallback;

/// <summary>
/// A system of its own whose gateway and workers reach PostgreSQL, RabbitMQ and Redis through TCP proxies,
/// so a test can take any of them away from this system alone (the shared services keep running for the
/// other tests). The test process itself (database counts, FakeServices' ledger) talks to them directly.
/// </summary>
public sealed class FallbackSystem : SystemFixture
{
    private readonly Proxies _proxies;

    public FallbackSystem()
        : this(new Proxies())
    {
    }

    private FallbackSystem(Proxies proxies)
        : base(new SystemSettings
        {
            Name = "fallback",
            Gateway = proxies.Apply,
            Workers = proxies.Apply,
        }) =>
        _proxies = proxies;

    public TcpProxy Postgres => _proxies.Postgres;

    public TcpProxy Rabbit => _proxies.Rabbit;

    public TcpProxy Redis => _proxies.Redis;

    /// <summary>Every fault undone.</summary>
    public void RestoreAll()
    {
        Postgres.Restore();
        Rabbit.Restore();
        Redis.Restore();
    }

    /// <summary>Submits a command and returns the whole answer (status, body, headers) for the test to judge.</summary>
    public async Task<Answer> PostAsync(string token, string type, string json, string? idempotencyKey = null)
    {
        using var request = Request(HttpMethod.Post, $"api/commands/{type}", token, new StringContent(json, Encoding.UTF8, "application/json"));
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        return await Answer.ReadAsync(response);
    }

    public async Task<Answer> GetAsync(string token, string path)
    {
        using var response = await Http.SendAsync(Request(HttpMethod.Get, path, token), TestContext.Current.CancellationToken);
        return await Answer.ReadAsync(response);
    }

    /// <summary>Waits until the gateway reads commands from PostgreSQL again (its breaker closed) after a restore.</summary>
    public async Task WaitUntilReadableAsync(string token)
    {
        Assert.True(await EventuallyAsync(async () => (await GetAsync(token, $"api/commands/{Guid.NewGuid()}")).Status == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(60)), "the gateway did not read from PostgreSQL again within 60 s");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await _proxies.DisposeAsync();
    }

    /// <summary>What the gateway answered.</summary>
    public sealed record Answer(HttpStatusCode Status, string Body, HttpResponseHeaders Headers, string? ContentType)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

        public static async Task<Answer> ReadAsync(HttpResponseMessage response) =>
            new(response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), response.Headers,
                response.Content.Headers.ContentType?.MediaType);
    }

    private sealed class Proxies : IAsyncDisposable
    {
        private static readonly NpgsqlConnectionStringBuilder AdminPostgres = new(Environment.GetEnvironmentVariable("MESSAGING_TEST_POSTGRES")
            ?? "Host=127.0.0.1;Port=5432;Database=messaging;Username=messaging;Password=messaging");

        private static readonly string RabbitHost = Environment.GetEnvironmentVariable("MESSAGING_TEST_RABBITMQ_HOST") ?? "127.0.0.1:5672";

        private static readonly string RedisHost = (Environment.GetEnvironmentVariable("MESSAGING_TEST_REDIS") ?? "127.0.0.1:6379").Split(',')[0];

        public TcpProxy Postgres { get; } = new(new IPEndPoint(IPAddress.Parse(AdminPostgres.Host!), AdminPostgres.Port));

        public TcpProxy Rabbit { get; } = new(IPEndPoint.Parse(RabbitHost));

        public TcpProxy Redis { get; } = new(IPEndPoint.Parse(RedisHost));

        public void Apply(Dictionary<string, string> environment)
        {
            environment["ConnectionStrings__Postgres"] =
                new NpgsqlConnectionStringBuilder(environment["ConnectionStrings__Postgres"]) { Port = Postgres.Port, Timeout = 10, CommandTimeout = 10 }.ConnectionString;
            environment["ConnectionStrings__RabbitMq"] = new UriBuilder(new Uri(environment["ConnectionStrings__RabbitMq"])) { Port = Rabbit.Port }.Uri.ToString();
            environment["ConnectionStrings__Redis"] = $"127.0.0.1:{Redis.Port}";
        }

        public async ValueTask DisposeAsync()
        {
            await Postgres.DisposeAsync();
            await Rabbit.DisposeAsync();
            await Redis.DisposeAsync();
        }
    }
}

/// <summary>What no response body may carry, whatever failed.</summary>
internal static class Leaks
{
    private static readonly string[] Forbidden =
    [
        "Npgsql", "RabbitMQ", "MassTransit", "StackExchange", "Exception", "127.0.0.1", "localhost", "Host=", "Password", "amqp://",
        "guest:guest", "Username=", "   at ", "at Messaging.", ".cs:line",
    ];

    public static void AssertNone(string body)
    {
        foreach (var leak in Forbidden)
        {
            Assert.False(body.Contains(leak, StringComparison.OrdinalIgnoreCase), $"a response body leaks '{leak}': {body}");
        }
    }
}
