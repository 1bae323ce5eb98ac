using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Messaging.Gateway.Auth;
using Messaging.Gateway.Clients;
using Messaging.Store.Audit;
using Messaging.Store.DeadLetters;
using Messaging.Store.Outbox;
using Messaging.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Messaging.Gateway.Tests;

/// <summary>
/// The gateway under test, in memory, against this fixture's real PostgreSQL database, RabbitMQ virtual host
/// and Redis prefix (see <see cref="ServicesFixture"/>). Environment <c>Testing</c>, signing key
/// <see cref="TestSigningKey"/>, secret pepper <see cref="TestSecretPepper"/>. The host is started (schema
/// applied, options validated) by <see cref="InitializeAsync"/>.
/// Use it as an xUnit class or collection fixture; derive from it and override
/// <see cref="ConfigureWebHost"/> to add test services or endpoints.
/// </summary>
public class GatewayHost : ServicesFixture
{
    /// <summary>The only token signing key of the host (base64 of 44 bytes; not the development key).</summary>
    public const string TestSigningKey = "Z2F0ZXdheS10ZXN0cy10b2tlbi1zaWduaW5nLWtleS1ub3QtYS1zZWNyZXQ=";

    /// <summary>The only client-secret pepper of the host (<c>Auth:SecretPeppers:test</c>; base64 of 32 bytes, not the development one).</summary>
    public const string TestSecretPepper = "Z2F0ZXdheS10ZXN0cy1zZWNyZXQtcGVwcGVyLTAxMjM=";

    /// <summary>The id of <see cref="TestSecretPepper"/>.</summary>
    public const string TestSecretPepperId = "test";

    /// <summary>The environment name of the host.</summary>
    public const string EnvironmentName = "Testing";

    private WebApplicationFactory<Program>? _factory;

    /// <summary>The deadline of a seeded dead letter's command: it passed a day before the fixture started.</summary>
    private static readonly DateTimeOffset PassedDeadline = CommandRows.TruncateToMicroseconds(DateTimeOffset.UtcNow.AddDays(-1));

    /// <summary>The factory behind the host; <c>Factory.WithWebHostBuilder(...)</c> derives variants.</summary>
    public WebApplicationFactory<Program> Factory => _factory ?? throw new InvalidOperationException("The GatewayHost has not been initialized.");

    /// <summary>The host's services.</summary>
    public IServiceProvider Services => Factory.Services;

    /// <summary>The fixture's settings plus the test signing key and secret pepper.</summary>
    public override IDictionary<string, string?> HostConfiguration()
    {
        var configuration = base.HostConfiguration();
        configuration["Auth:SigningKeys:0"] = TestSigningKey;
        configuration["Auth:SecretPeppers:" + TestSecretPepperId] = TestSecretPepper;
        return configuration;
    }

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _factory = CreateFactory(HostConfiguration(), ConfigureWebHost);
        _ = _factory.Server; // starts the host
    }

    /// <summary>
    /// A gateway factory with the given settings (as if from configuration) in environment <c>Testing</c>; the
    /// caller disposes it. Not started until first used.
    /// </summary>
    public static WebApplicationFactory<Program> CreateFactory(IDictionary<string, string?> configuration, Action<IWebHostBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new ConfiguredFactory(builder =>
        {
            builder.UseEnvironment(EnvironmentName);

            // UseSetting (not ConfigureAppConfiguration) so that Program.cs sees the values while it builds.
            foreach (var (key, value) in configuration)
            {
                builder.UseSetting(key, value);
            }

            configure?.Invoke(builder);
        });
    }

    /// <summary>
    /// Removes what a gateway reads from PostgreSQL before it serves (the schema migration, the first read of the
    /// revoked clients), for a host that must start with its PostgreSQL unreachable. Such a host starts with an empty
    /// revocation list, which a real gateway never does (it does not start without the list).
    /// </summary>
    public static void RemoveStartupDatabaseReads(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        foreach (var name in new[] { "SchemaMigrationHostedService", "RevokedClientsRefresher" })
        {
            services.Remove(services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == name));
        }
    }

    /// <summary>Extra configuration of the host for derived fixtures (services, endpoints).</summary>
    protected virtual void ConfigureWebHost(IWebHostBuilder builder)
    {
    }

    /// <summary>The revocation list's refresher of a host (tests wait on its <c>NextAttempt</c>).</summary>
    internal static RevokedClientsRefresher RevocationRefresher(IServiceProvider services) =>
        services.GetServices<IHostedService>().OfType<RevokedClientsRefresher>().Single();

    /// <summary>A client for the in-memory host, without credentials.</summary>
    public HttpClient CreateClient() => Factory.CreateClient();

    /// <summary>A client carrying a bearer token of a new client of <paramref name="tenant"/> with <paramref name="scopes"/>.</summary>
    public async Task<HttpClient> CreateClientAsync(string tenant, params string[] scopes)
    {
        var token = await GetTokenAsync(tenant, scopes);
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>
    /// A <c>payments.charge</c> command of <paramref name="tenant"/>, dead-lettered through the real dead-letter store: an
    /// old one, whose deadline (on the row and in the letter's headers) passed a day ago.
    /// </summary>
    public async Task<Guid> SeedDeadLetterAsync(string tenant, IReadOnlyDictionary<string, string>? moreHeaders = null)
    {
        var id = Guid.NewGuid();
        var dataSource = Services.GetRequiredService<NpgsqlDataSource>();
        await using (var insert = dataSource.CreateCommand(
            "INSERT INTO commands (id, tenant, client_id, type, status, payload, deadline, created_at, updated_at) VALUES (@id, @tenant, 'cli', 'payments.charge', 'Processing', '{}', @deadline, now(), now())"))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("tenant", tenant);
            insert.Parameters.AddWithValue("deadline", PassedDeadline);
            await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var store = Services.GetRequiredService<DeadLetterStore>();
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        var body = $$"""{"commandId":"{{id}}","tenant":"{{tenant}}","amount":5,"currency":"EUR","customerId":"cus_1"}""";
        var headers = new Dictionary<string, string> { ["Messaging-Tenant"] = tenant, ["Messaging-Deadline"] = CommandRows.HeaderInstant(PassedDeadline) };
        foreach (var (name, value) in moreHeaders ?? new Dictionary<string, string>())
        {
            headers[name] = value;
        }

        await store.RecordAsync(transaction, new DeadLetter(id, tenant, "payments.charge", body, headers,
            5, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            "HttpRequestException", "provider unavailable", "retries-exhausted"), TestContext.Current.CancellationToken);
        await transaction.CommitAsync(TestContext.Current.CancellationToken);
        return id;
    }

    /// <summary>
    /// A command's stored deadline and the one its newest outbox message carries in <c>Messaging-Deadline</c> (null when
    /// it has no outbox message).
    /// </summary>
    public async Task<(DateTimeOffset? Stored, DateTimeOffset? Sent)> DeadlinesAsync(Guid id)
    {
        await using var command = Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            """
            SELECT c.deadline,
                   (SELECT (o.headers->>'Messaging-Deadline')::timestamptz FROM outbox o WHERE o.command_id = c.id ORDER BY o.id DESC LIMIT 1)
            FROM commands c WHERE c.id = @id
            """);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        return (reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1));
    }

    /// <summary>How many outbox rows a command has (a redrive adds one).</summary>
    public async Task<long> OutboxRowsAsync(Guid id)
    {
        await using var command = Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT count(*) FROM outbox WHERE command_id = @id");
        command.Parameters.AddWithValue("id", id);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>A client carrying a bearer token of a new operator client (tenant <c>operators</c>, scope <c>operator</c>).</summary>
    public Task<HttpClient> CreateOperatorClientAsync() => CreateClientAsync(GatewayClaims.OperatorTenant, GatewayClaims.OperatorScope);

    /// <summary>The actor the tests' client changes are audited under.</summary>
    public static AuditActor TestActor { get; } = AuditActor.Local("tests");

    /// <summary>Adds an API client through the real client store; no scopes means <c>commands</c>.</summary>
    public async Task<(string ClientId, string Secret)> AddClientAsync(string tenant, params string[] scopes)
    {
        var store = Services.GetRequiredService<ClientStore>();
        var created = await store.AddAsync(tenant, scopes.Length == 0 ? [GatewayClaims.CommandsScope] : scopes, TestActor, CancellationToken.None);
        return (created.Client.ClientId, created.Secret);
    }

    /// <summary>
    /// An access token for a new client of <paramref name="tenant"/> with <paramref name="scopes"/> (no scopes
    /// means <c>commands</c>), obtained from the real token endpoint.
    /// </summary>
    public async Task<string> GetTokenAsync(string tenant, params string[] scopes)
    {
        var (clientId, secret) = await AddClientAsync(tenant, scopes);
        return await RequestTokenAsync(clientId, secret);
    }

    /// <summary>An access token for an existing client, from the real token endpoint (fails the test otherwise).</summary>
    public async Task<string> RequestTokenAsync(string clientId, string secret)
    {
        using var http = CreateClient();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
        });
        using var response = await http.PostAsync("/api/auth/token", form);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<TokenBody>();
        return body?.AccessToken ?? throw new InvalidOperationException("The token endpoint answered without access_token.");
    }

    public override async ValueTask DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private sealed record TokenBody([property: JsonPropertyName("access_token")] string? AccessToken);

    private sealed class ConfiguredFactory(Action<IWebHostBuilder> configure) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder) => configure(builder);
    }
}
