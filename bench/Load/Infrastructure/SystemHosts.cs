using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Messaging.Load.Infrastructure;

/// <summary>
/// Starts the product's hosts as child processes (the Release builds next to their projects), configured the
/// way <c>tests/Testing/Harness/SystemFixture.cs</c> configures them, on free loopback ports.
/// </summary>
internal static class SystemHosts
{
    public const string SigningKey = "bG9hZC10b29sLXRva2VuLXNpZ25pbmcta2V5LTAxMjM0NTY3ODlhYmNkZWY=";

    /// <summary>The key the load tool's processes sign their internal messages with (base64 of 32 bytes; not a secret).</summary>
    public const string MessageSigningKey = "bG9hZC10b29sLW1lc3NhZ2Uta2V5LTAxMjM0NTY3ODk=";

    /// <summary>The client-secret pepper of the gateway and its CLI (base64 of 32 bytes).</summary>
    public const string SecretPepper = "bG9hZC10b29sLXNlY3JldC1wZXBwZXItMDEyMzQ1Njc=";

    public static Dictionary<string, string> CommonEnvironment(string postgres, string rabbitMq, BenchServices services) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["DOTNET_ENVIRONMENT"] = "Production",
        // The local services use the shipped passwords; Production refuses them unless told this is a benchmark (a
        // warning is logged). Everything else stays on loopback, which Production allows over plain http.
        ["Security__AllowDefaultCredentials"] = "true",
        ["ConnectionStrings__Postgres"] = postgres,
        ["ConnectionStrings__RabbitMq"] = rabbitMq,
        ["ConnectionStrings__Redis"] = services.RedisConnectionString,
        ["Redis__KeyPrefix"] = services.RedisKeyPrefix,
        ["Messaging__SigningKeys__0"] = MessageSigningKey,
        // Per-request Information logs (one line per accepted command) would measure the console, not the path.
        ["Logging__LogLevel__Default"] = "Warning",
    };

    public static Dictionary<string, string> GatewayEnvironment(string postgres, string rabbitMq, BenchServices services, int port, LoadSettings settings)
    {
        var environment = CommonEnvironment(postgres, rabbitMq, services);
        environment["Urls"] = $"http://127.0.0.1:{port}";
        environment["Auth__SigningKeys__0"] = SigningKey;
        environment["Auth__SecretPeppers__load"] = SecretPepper;
        environment["Outbox__Relay__Enabled"] = settings.Relay || settings.Scenario != "accept" ? "true" : "false";
        environment["Commands__GroupCommit__Enabled"] = settings.GroupCommit ? "true" : "false";
        // One client on one address: the production per-IP and per-tenant limits would throttle the load itself.
        environment["RateLimiting__PerIp__PermitLimit"] = "100000000";
        environment["RateLimiting__Routes__auth__PerIp__PermitLimit"] = "100000000";
        environment["RateLimiting__Tenants__Default__PermitLimit"] = "100000000";
        // The route's concurrency limit must not be what is measured.
        environment["Resilience__Routes__commands__ConcurrencyLimit"] = "1024";
        environment["Resilience__Routes__commands__QueueLimit"] = "4096";
        Forward(environment, "LOAD_GATEWAY_");
        return environment;
    }

    /// <summary>Starts the gateway and returns it with an HTTP client holding a bearer token of a fresh client (scope <c>commands</c>).</summary>
    public static async Task<(ChildProcess Process, HttpClient Client)> StartGatewayAsync(
        string postgres, string rabbitMq, BenchServices services, LoadSettings settings, string name = "gateway")
    {
        var port = ChildProcess.FreePort();
        var environment = GatewayEnvironment(postgres, rabbitMq, services, port, settings);
        var process = ChildProcess.Start(name, RepositoryLayout.GatewayDll, environment);
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        await process.WaitForHttpAsync(new Uri(baseAddress, "health/live"), TimeSpan.FromSeconds(90)).ConfigureAwait(false);

        // The client through the gateway's own CLI, the token through the API, as a real client would.
        environment.Remove("Urls");
        var output = await ChildProcess.RunToEndAsync(RepositoryLayout.GatewayDll, environment, "clients", "add", "--tenant", "load", "--scopes", "commands")
            .ConfigureAwait(false);
        using var created = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]);
        var clientId = created.RootElement.GetProperty("clientId").GetString()!;
        var secret = created.RootElement.GetProperty("clientSecret").GetString()!;

        var client = CreateHttpClient(baseAddress);
        using var tokenResponse = await client.PostAsync(new Uri("api/auth/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
        })).ConfigureAwait(false);
        if (tokenResponse.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"the gateway refused a token ({(int)tokenResponse.StatusCode})");
        }

        using var token = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync().ConfigureAwait(false));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.RootElement.GetProperty("access_token").GetString());
        return (process, client);
    }

    /// <summary>The fake providers (tests/FakeServices, no added latency) on free loopback ports.</summary>
    public static async Task<FakeProviders> StartFakeServicesAsync(string postgres, string rabbitMq, BenchServices services)
    {
        var notificationsPort = ChildProcess.FreePort();
        var paymentsPrimary = ChildProcess.FreePort();
        var paymentsSecondary = ChildProcess.FreePort();
        var shippingPort = ChildProcess.FreePort();
        var crmPort = ChildProcess.FreePort();
        var fakeEnvironment = CommonEnvironment(postgres, rabbitMq, services);
        fakeEnvironment["FakeServices__Instances__payments-primary__Url"] = $"http://127.0.0.1:{paymentsPrimary}";
        fakeEnvironment["FakeServices__Instances__payments-secondary__Url"] = $"http://127.0.0.1:{paymentsSecondary}";
        fakeEnvironment["FakeServices__Instances__notifications__Url"] = $"http://127.0.0.1:{notificationsPort}";
        fakeEnvironment["FakeServices__Instances__shipping__Url"] = $"http://127.0.0.1:{shippingPort}";
        fakeEnvironment["FakeServices__Instances__crm__Url"] = $"http://127.0.0.1:{crmPort}";
        var fake = ChildProcess.Start("fakeservices", RepositoryLayout.FakeServicesDll, fakeEnvironment);
        await fake.WaitForHttpAsync(new Uri($"http://127.0.0.1:{paymentsPrimary}/control/ledger?provider=payments"), TimeSpan.FromSeconds(90))
            .ConfigureAwait(false);
        return new FakeProviders(fake, paymentsPrimary, paymentsSecondary, notificationsPort, shippingPort);
    }

    public static async Task<(ChildProcess FakeServices, ChildProcess Workers)> StartWorkersAsync(
        string postgres, string rabbitMq, BenchServices services, int prefetch)
    {
        var providers = await StartFakeServicesAsync(postgres, rabbitMq, services).ConfigureAwait(false);
        return (providers.Process, await StartWorkerHostAsync(providers, postgres, rabbitMq, services, prefetch).ConfigureAwait(false));
    }

    /// <summary>Starts one workers host (several share the queues as competing consumers) calling <paramref name="providers"/>.</summary>
    public static async Task<ChildProcess> StartWorkerHostAsync(
        FakeProviders providers, string postgres, string rabbitMq, BenchServices services, int prefetch, string name = "workers")
    {
        var (_, paymentsPrimary, paymentsSecondary, notificationsPort, shippingPort) = providers;
        var workersPort = ChildProcess.FreePort();
        var environment = CommonEnvironment(postgres, rabbitMq, services);
        environment["Urls"] = $"http://127.0.0.1:{workersPort}";
        environment["ExternalServices__Payments__Endpoints__0"] = $"http://127.0.0.1:{paymentsPrimary}";
        environment["ExternalServices__Payments__Endpoints__1"] = $"http://127.0.0.1:{paymentsSecondary}";
        environment["ExternalServices__Payments__TokenUrl"] = $"http://127.0.0.1:{paymentsPrimary}/oauth/token";
        environment["ExternalServices__Payments__ClientId"] = "gateway-workers";
        environment["ExternalServices__Payments__ClientSecret"] = "fake-payments-secret";
        environment["ExternalServices__Notifications__Endpoints__0"] = $"http://127.0.0.1:{notificationsPort}";
        environment["ExternalServices__Notifications__ApiKey"] = "fake-notifications-key";
        environment["ExternalServices__Shipping__Endpoints__0"] = $"http://127.0.0.1:{shippingPort}";
        Forward(environment, "LOAD_WORKERS_");
        environment["Commands__Types__notifications.send__Flow__ConcurrencyLimit"] = prefetch.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var workers = ChildProcess.Start(name, RepositoryLayout.WorkersDll, environment);
        await workers.WaitForHttpAsync(new Uri($"http://127.0.0.1:{workersPort}/health/live"), TimeSpan.FromSeconds(90)).ConfigureAwait(false);
        return workers;
    }

    /// <summary>
    /// Passes this process's variables named <c>&lt;prefix&gt;KEY</c> to a host as <c>KEY</c>: extra settings for an
    /// experiment (<c>LOAD_GATEWAY_Commands__GroupCommit__MaxBatchSize=16</c>) or an EventPipe trace
    /// (<c>LOAD_GATEWAY_DOTNET_EnableEventPipe=1</c>).
    /// </summary>
    public static void Forward(Dictionary<string, string> environment, string prefix)
    {
        foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string key && key.StartsWith(prefix, StringComparison.Ordinal) && variable.Value is string value)
            {
                environment[key[prefix.Length..]] = value;
            }
        }
    }

    public static HttpClient CreateHttpClient(Uri baseAddress) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = int.MaxValue,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        UseProxy = false,
    })
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(30),
    };
}

/// <summary>The running FakeServices and the ports of its provider instances.</summary>
internal sealed record FakeProviders(ChildProcess Process, int PaymentsPrimary, int PaymentsSecondary, int Notifications, int Shipping)
{
    public Uri NotificationsUrl => new($"http://127.0.0.1:{Notifications}/");
}
