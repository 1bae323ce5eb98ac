using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Npgsql;
using Xunit;

namespace Messaging.Testing.Harness;

/// <summary>
/// The whole system as separate processes: FakeServices (payments primary/secondary, notifications),
/// Workers and Gateway, against a fresh database and RabbitMQ virtual host on the real services.
/// The assembly's instance is shared by every test; tests isolate themselves by tenant and idempotency
/// key. A test that disturbs the system (providers in outage, a worker killed) uses a system of its own:
/// a subclass with <see cref="SystemSettings"/>, as a class fixture (for example <c>IsolatedSystem</c>).
/// </summary>
public class SystemFixture : ServicesFixture
{
    /// <summary>The gateway's token signing key in these systems.</summary>
    public const string SigningKey = "c3lzdGVtLXRlc3RzLXRva2VuLXNpZ25pbmcta2V5LTAxMjM0NTY3ODlhYg==";

    /// <summary>The key that encrypts clients' callback signing secrets (<c>Callbacks:SecretKeys:system</c>; base64 of 32 bytes).</summary>
    public const string CallbackSecretKey = "c3lzdGVtLXRlc3RzLWNhbGxiYWNrLXNlY3JldC1rZXk=";

    /// <summary>The client-secret pepper of the gateway and its CLI (<c>Auth:SecretPeppers:system</c>; base64 of 32 bytes).</summary>
    public const string SecretPepper = "c3lzdGVtLXRlc3RzLXNlY3JldC1wZXBwZXItMDEyMzQ=";
    private readonly Dictionary<string, string> _tokens = [];
    private readonly SemaphoreSlim _tokenLock = new(1, 1);
    private readonly SystemSettings _settings;

    /// <summary>The shared system, with the default settings.</summary>
    public SystemFixture()
        : this(new SystemSettings())
    {
    }

    protected SystemFixture(SystemSettings settings) => _settings = settings;

    /// <summary>The gateway's HTTP port.</summary>
    public int GatewayPort { get; } = FreePort();

    /// <summary>The workers' HTTP port (health, metrics).</summary>
    public int WorkersPort { get; } = FreePort();

    /// <summary>FakeServices' payments-primary port (also its control API).</summary>
    public int PaymentsPrimaryPort { get; } = FreePort();

    /// <summary>FakeServices' payments-secondary port.</summary>
    public int PaymentsSecondaryPort { get; } = FreePort();

    /// <summary>FakeServices' notifications port.</summary>
    public int NotificationsPort { get; } = FreePort();

    /// <summary>FakeServices' shipping port.</summary>
    public int ShippingPort { get; } = FreePort();

    /// <summary>FakeServices' crm port.</summary>
    public int CrmPort { get; } = FreePort();

    /// <summary>The gateway process.</summary>
    public ServiceProcess Gateway { get; private set; } = null!;

    /// <summary>The workers process.</summary>
    public ServiceProcess Workers { get; private set; } = null!;

    /// <summary>The FakeServices process (every provider instance).</summary>
    public ServiceProcess FakeServices { get; private set; } = null!;

    /// <summary>An HTTP client for the tests (absolute URLs).</summary>
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Every secret the tests handed to or got from the system (client secrets, access tokens), for the log scan.</summary>
    public ConcurrentBag<string> SecretsUsed { get; } = [];

    /// <summary>Every process this fixture started, for the log scan.</summary>
    public ConcurrentBag<ServiceProcess> Processes { get; } = [];

    /// <summary>The gateway's base address.</summary>
    public Uri GatewayUrl => new($"http://127.0.0.1:{GatewayPort}/");

    /// <summary>FakeServices' control API (faults, ledger, request log).</summary>
    public FakeServicesControl Providers { get; private set; } = null!;

    /// <summary>This system's RabbitMQ virtual host, through RabbitMQ.Client.</summary>
    public BrokerClient Broker => new(RabbitMqConnectionString);

    /// <summary>Where the processes write their logs.</summary>
    public string LogDirectory => Path.Combine(RepositoryPaths.TestLogs,
        _settings.Name == "shared" ? RabbitMqVirtualHost : _settings.Name + "-" + RabbitMqVirtualHost);

    /// <summary>Creates the services and starts FakeServices, the gateway and the workers, each once it answers.</summary>
    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var logs = LogDirectory;
        FakeServices = new ServiceProcess("fakeservices", RepositoryPaths.FakeServices, FakeServicesEnvironment(), logs);
        Workers = new ServiceProcess("workers", RepositoryPaths.Workers, WorkersEnvironment(), logs);
        Gateway = new ServiceProcess("gateway", RepositoryPaths.Gateway, GatewayEnvironment(), logs);

        Processes.Add(FakeServices);
        Processes.Add(Workers);
        Processes.Add(Gateway);
        FakeServices.Start();
        await WaitForHttpAsync(FakeServices, new Uri($"http://127.0.0.1:{PaymentsPrimaryPort}/control/ledger?provider=payments"));
        Gateway.Start();
        await WaitForHttpAsync(Gateway, new Uri(GatewayUrl, "health/live"));
        Workers.Start();
        await WaitForHttpAsync(Workers, new Uri($"http://127.0.0.1:{WorkersPort}/health/live"));
        Providers = new FakeServicesControl(Http, new Uri($"http://127.0.0.1:{PaymentsPrimaryPort}/"));
    }

    /// <summary>Stops the processes, then drops the services.</summary>
    public override async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Workers.DisposeAsync();
        await FakeServices.DisposeAsync();
        Http.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>The environment every process gets: the services, the Testing environment, log levels.</summary>
    public Dictionary<string, string> CommonEnvironment() => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Testing",
        ["DOTNET_ENVIRONMENT"] = "Testing",
        ["ConnectionStrings__Postgres"] = PostgresConnectionString,
        ["ConnectionStrings__RabbitMq"] = RabbitMqConnectionString,
        ["ConnectionStrings__Redis"] = RedisConnectionString,
        ["Redis__KeyPrefix"] = RedisKeyPrefix,
        ["Messaging__SigningKeys__0"] = MessageSigningKey,
        // The key ring of the clients' callback signing secrets: the gateway encrypts with it, the workers decrypt.
        ["Callbacks__SecretKeys__system"] = CallbackSecretKey,
        ["Callbacks__CurrentSecretKey"] = "system",
        ["Logging__LogLevel__Default"] = "Information",
        // Chattier where secrets could slip out, so the log scan (SecretLeakTests) has something to bite on.
        ["Logging__LogLevel__System.Net.Http.HttpClient"] = "Trace",
        ["Logging__LogLevel__Microsoft.AspNetCore.Authentication"] = "Debug",
        ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
    };

    /// <summary>The gateway's environment, with the settings' changes applied.</summary>
    public Dictionary<string, string> GatewayEnvironment()
    {
        var environment = CommonEnvironment();
        environment["Urls"] = $"http://127.0.0.1:{GatewayPort}";
        environment["Auth__SigningKeys__0"] = SigningKey;
        environment["Auth__SecretPeppers__system"] = SecretPepper;
        environment["Outbox__Relay__PollInterval"] = "00:00:00.250";
        // Every test request comes from 127.0.0.1: the production per-IP and per-tenant limits would
        // throttle the suite itself. Rate limiting has its own tests.
        environment["RateLimiting__PerIp__PermitLimit"] = "1000000";
        environment["RateLimiting__Routes__auth__PerIp__PermitLimit"] = "1000000";
        environment["RateLimiting__Tenants__Default__PermitLimit"] = "1000000";
        _settings.Gateway?.Invoke(environment);
        return environment;
    }

    /// <summary>The workers' environment (providers on FakeServices), with the settings' changes applied.</summary>
    public Dictionary<string, string> WorkersEnvironment()
    {
        var environment = CommonEnvironment();
        environment["Urls"] = $"http://127.0.0.1:{WorkersPort}";
        environment["ExternalServices__Payments__Endpoints__0"] = $"http://127.0.0.1:{PaymentsPrimaryPort}";
        environment["ExternalServices__Payments__Endpoints__1"] = $"http://127.0.0.1:{PaymentsSecondaryPort}";
        environment["ExternalServices__Payments__TokenUrl"] = $"http://127.0.0.1:{PaymentsPrimaryPort}/oauth/token";
        environment["ExternalServices__Payments__ClientId"] = "gateway-workers";
        environment["ExternalServices__Payments__ClientSecret"] = "fake-payments-secret";
        environment["ExternalServices__Notifications__Endpoints__0"] = $"http://127.0.0.1:{NotificationsPort}";
        environment["ExternalServices__Notifications__ApiKey"] = "fake-notifications-key";
        environment["ExternalServices__Shipping__Endpoints__0"] = $"http://127.0.0.1:{ShippingPort}";
        // Used only where a system declares a type of the crm provider in configuration (DeclaredTypeSystem).
        environment["ExternalServices__crm__Endpoints__0"] = $"http://127.0.0.1:{CrmPort}";
        _settings.Workers?.Invoke(environment);
        return environment;
    }

    /// <summary>FakeServices' environment (one port per instance), with the settings' changes applied.</summary>
    public Dictionary<string, string> FakeServicesEnvironment()
    {
        var environment = CommonEnvironment();
        environment["FakeServices__Instances__payments-primary__Url"] = $"http://127.0.0.1:{PaymentsPrimaryPort}";
        environment["FakeServices__Instances__payments-secondary__Url"] = $"http://127.0.0.1:{PaymentsSecondaryPort}";
        environment["FakeServices__Instances__notifications__Url"] = $"http://127.0.0.1:{NotificationsPort}";
        environment["FakeServices__Instances__shipping__Url"] = $"http://127.0.0.1:{ShippingPort}";
        environment["FakeServices__Instances__crm__Url"] = $"http://127.0.0.1:{CrmPort}";
        _settings.FakeServices?.Invoke(environment);
        return environment;
    }

    /// <summary>
    /// Starts another gateway process on the same database and virtual host, with
    /// <paramref name="configure"/> applied to its environment (for example PostgreSQL behind a
    /// <see cref="TcpProxy"/>). Dispose it at the end of the test.
    /// </summary>
    public async Task<(ServiceProcess Process, HttpClient Client)> StartExtraGatewayAsync(string name, Action<Dictionary<string, string>> configure)
    {
        var port = FreePort();
        var environment = GatewayEnvironment();
        environment["Urls"] = $"http://127.0.0.1:{port}";
        configure(environment);
        var process = new ServiceProcess(name, RepositoryPaths.Gateway, environment, LogDirectory);
        Processes.Add(process);
        process.Start();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        await WaitForHttpAsync(process, new Uri(baseAddress, "health/live"));
        return (process, new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) });
    }

    /// <summary>
    /// Starts another workers process on the same database, virtual host, Redis key prefix and providers (so it
    /// shares the queues, the breakers and the rate limits with <see cref="Workers"/>), with
    /// <paramref name="configure"/> applied to its environment, and waits until it answers. Returns the process and a
    /// client for its own HTTP endpoints (health, metrics). Dispose both at the end.
    /// </summary>
    public async Task<(ServiceProcess Process, HttpClient Client)> StartExtraWorkersAsync(string name, Action<Dictionary<string, string>>? configure = null)
    {
        var port = FreePort();
        var environment = WorkersEnvironment();
        environment["Urls"] = $"http://127.0.0.1:{port}";
        configure?.Invoke(environment);
        var process = new ServiceProcess(name, RepositoryPaths.Workers, environment, LogDirectory);
        Processes.Add(process);
        process.Start();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        await WaitForHttpAsync(process, new Uri(baseAddress, "health/live"));
        return (process, new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) });
    }

    /// <summary>The PostgreSQL endpoint of this fixture's database.</summary>
    public IPEndPoint PostgresEndPoint()
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgresConnectionString);
        return new IPEndPoint(IPAddress.Parse(builder.Host!), builder.Port);
    }

    /// <summary>This fixture's connection string with another port (a proxy's).</summary>
    public string PostgresConnectionStringVia(int port) =>
        new NpgsqlConnectionStringBuilder(PostgresConnectionString) { Port = port, Timeout = 3, CommandTimeout = 5 }.ConnectionString;

    /// <summary>Creates a client through the gateway's own CLI (a real process) and returns its credentials.</summary>
    public async Task<ClientCredentials> AddClientAsync(string tenant, string scopes = "commands")
    {
        var environment = GatewayEnvironment();
        environment.Remove("Urls");
        var info = new ProcessStartInfo("dotnet", [RepositoryPaths.Gateway, "clients", "add", "--tenant", tenant, "--scopes", scopes])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(RepositoryPaths.Gateway)!,
        };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"clients add failed ({process.ExitCode}): {error}");
        var json = output[output.IndexOf('{', StringComparison.Ordinal)..];
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var credentials = new ClientCredentials(root.GetProperty("clientId").GetString()!, root.GetProperty("clientSecret").GetString()!,
            root.TryGetProperty("callbackSecret", out var callbackSecret) ? callbackSecret.GetString() : null);
        SecretsUsed.Add(credentials.Secret);
        if (credentials.CallbackSecret is { } signing)
        {
            SecretsUsed.Add(signing);
        }

        return credentials;
    }

    /// <summary>Asks the token endpoint for a client-credentials token.</summary>
    public async Task<HttpResponseMessage> RequestTokenAsync(string clientId, string secret) =>
        await Http.PostAsync(new Uri(GatewayUrl, "api/auth/token"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
        }));

    /// <summary>A bearer token for a (cached) client of <paramref name="tenant"/>.</summary>
    public async Task<string> TokenAsync(string tenant, string scopes = "commands")
    {
        var cacheKey = tenant + "|" + scopes;
        await _tokenLock.WaitAsync();
        try
        {
            if (_tokens.TryGetValue(cacheKey, out var cached))
            {
                return cached;
            }

            var client = await AddClientAsync(tenant, scopes);
            using var response = await RequestTokenAsync(client.ClientId, client.Secret);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            var token = body.GetProperty("access_token").GetString()!;
            SecretsUsed.Add(token);
            _tokens[cacheKey] = token;
            return token;
        }
        finally
        {
            _tokenLock.Release();
        }
    }

    /// <summary>A request to the gateway, with the bearer token when there is one.</summary>
    public HttpRequestMessage Request(HttpMethod method, string path, string? token, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, new Uri(GatewayUrl, path)) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    /// <summary>Polls the status API until the command reaches <paramref name="status"/> (or any terminal status).</summary>
    public async Task<JsonElement> WaitForStatusAsync(string token, string id, string status, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await Http.SendAsync(Request(HttpMethod.Get, $"api/commands/{id}", token));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                last = await response.Content.ReadFromJsonAsync<JsonElement>();
                var current = last.GetProperty("status").GetString();
                if (current == status || current is "Succeeded" or "Failed" or "DeadLettered" or "Expired" or "Cancelled")
                {
                    return last;
                }
            }

            await Task.Delay(100);
        }

        return last;
    }

    /// <summary>Submits a command through the API and returns its id (asserting 202), with a <c>Callback-Url</c> when given.</summary>
    public async Task<string> SubmitAsync(string token, string type, string json, Uri? callbackUrl = null)
    {
        using var request = Request(HttpMethod.Post, $"api/commands/{type}", token,
            new StringContent(json, Encoding.UTF8, "application/json"));
        if (callbackUrl is not null)
        {
            request.Headers.Add("Callback-Url", callbackUrl.AbsoluteUri);
        }

        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"submit answered {(int)response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>The command's status through the API, or null when it cannot be read.</summary>
    public async Task<string?> CommandStatusAsync(string token, string id)
    {
        using var response = await Http.SendAsync(Request(HttpMethod.Get, $"api/commands/{id}", token));
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return null;
        }

        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("status").GetString();
    }

    /// <summary>The tenant's commands by status.</summary>
    public async Task<Dictionary<string, long>> StatusCountsAsync(string tenant)
    {
        await using var connection = new NpgsqlConnection(PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT status, count(*) FROM commands WHERE tenant = @t GROUP BY status", connection);
        command.Parameters.AddWithValue("t", tenant);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>What the database knows of one command, for a failure message: its row, its outbox rows, its key's other commands.</summary>
    public async Task<string> DescribeCommandAsync(Guid id)
    {
        await using var connection = new NpgsqlConnection(PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT concat_ws(' ', c.id, c.status, 'attempts=' || c.attempts, 'error=' || c.error_code, 'key=' || c.idempotency_key,
                   'created=' || c.created_at, 'updated=' || c.updated_at,
                   'outbox=[' || (SELECT string_agg(concat_ws('/', o.id, o.sent_at, o.not_before, o.publish_attempts, o.last_error), ', ') FROM outbox o WHERE o.command_id = c.id) || ']',
                   'same key=[' || (SELECT string_agg(d.id || ':' || d.status || ':' || coalesce(d.error_code, ''), ', ') FROM commands d
                                    WHERE d.tenant = c.tenant AND d.idempotency_key = c.idempotency_key AND d.id <> c.id) || ']',
                   'inbox=' || (SELECT count(*) FROM inbox i WHERE i.command_id = c.id))
            FROM commands c WHERE c.id = @id
            """, connection);
        command.Parameters.AddWithValue("id", id);
        return (string?)await command.ExecuteScalarAsync() ?? $"{id}: no row";
    }

    /// <summary>Polls until <paramref name="condition"/> holds or <paramref name="timeout"/> passes; returns whether it held.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(250);
        }

        return await condition();
    }

    /// <summary>Runs a <c>count(*)</c> query on the system's database.</summary>
    public async Task<long> CountAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Starts the gateway again after <see cref="ServiceProcess.Kill"/>, and waits until it answers.</summary>
    public async Task RestartGatewayAsync()
    {
        Gateway.Start();
        await WaitForHttpAsync(Gateway, new Uri(GatewayUrl, "health/live"));
    }

    /// <summary>Starts the workers again after <see cref="ServiceProcess.Kill"/>, and waits until they answer.</summary>
    public async Task RestartWorkersAsync()
    {
        Workers.Start();
        await WaitForHttpAsync(Workers, new Uri($"http://127.0.0.1:{WorkersPort}/health/live"));
    }

    private static async Task WaitForHttpAsync(ServiceProcess process, Uri url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (!process.IsRunning)
            {
                throw new InvalidOperationException($"{process.Name} exited during start:\n{process.ReadLog()}");
            }

            try
            {
                using var response = await http.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException($"{process.Name} did not answer {url} within 60 s:\n{process.ReadLog()}");
    }

    // Every port handed out in this process. The kernel may give a port it just freed to the next bind, so two calls
    // before either process started once returned the same port (FakeServices refused to start: two of its instances
    // on one port). Only the first hand-out of a port counts.
    private static readonly HashSet<int> HandedOutPorts = [];

    /// <summary>A loopback port free now (for a process, or a receiver a test runs), never one this process handed out before.</summary>
    public static int FreePort()
    {
        lock (HandedOutPorts)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (HandedOutPorts.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
