using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Messaging.Workers.Tests.ExternalServices;

/// <summary>
/// Both providers and the token endpoint on one WireMock server, with the secrets and defaults the
/// tests use, and the configuration that points a Workers host at it.
/// </summary>
internal sealed class ProviderStub : IDisposable
{
    public const string ClientId = "gateway-workers";
    public const string ClientSecret = "payments-client-secret-for-tests";
    public const string ApiKey = "notifications-api-key-for-tests";
    public const string ChargesPath = "/v1/charges";
    public const string MessagesPath = "/v1/messages";
    public const string TokenPath = "/oauth/token";

    public WireMockServer Server { get; } = WireMockServer.Start();

    /// <summary>
    /// Configuration for a host using this stub (both payments endpoints on this server, so they share a
    /// breaker): fast retries, attempt timeouts long enough for a busy two-core machine running tests in
    /// parallel, and breakers that only tests about breakers (with their own settings) open.
    /// </summary>
    public Dictionary<string, string?> Configuration()
    {
        var configuration = new Dictionary<string, string?>
        {
            ["ExternalServices:Payments:Endpoints:0"] = Server.Url,
            ["ExternalServices:Payments:Endpoints:1"] = Server.Url,
            ["ExternalServices:Payments:TokenUrl"] = Server.Url + TokenPath,
            ["ExternalServices:Payments:ClientId"] = ClientId,
            ["ExternalServices:Payments:ClientSecret"] = ClientSecret,
            ["ExternalServices:Notifications:Endpoints:0"] = Server.Url,
            ["ExternalServices:Notifications:ApiKey"] = ApiKey,
        };
        foreach (var dependency in new[] { "payments", "payments.token", "notifications" })
        {
            var key = $"Resilience:Dependencies:{dependency}";
            configuration[$"{key}:AttemptTimeout"] = "00:00:20";
            configuration[$"{key}:TotalTimeout"] = "00:01:00";
            configuration[$"{key}:Retry:BaseDelay"] = "00:00:00.010";
            configuration[$"{key}:Retry:MaxDelay"] = "00:00:00.050";
            configuration[$"{key}:Breaker:MinimumThroughput"] = "1000";
            configuration[$"{key}:Breaker:SamplingDuration"] = "00:01:00";
            configuration[$"{key}:Breaker:SlowCallThreshold"] = "00:00:30";
        }

        configuration["Resilience:Dependencies:notifications:Retry:MaxRetryAttempts"] = "2";
        return configuration;
    }

    /// <summary>The token endpoint issues <paramref name="token"/> to the test client.</summary>
    public ProviderStub WithToken(string token = "token-1")
    {
        Server.Given(Request.Create().WithPath(TokenPath).UsingPost())
            .RespondWith(TokenResponse(token));
        return this;
    }

    /// <summary>The token endpoint issues each token once, in order (the last one from then on).</summary>
    public ProviderStub WithTokens(params string[] tokens)
    {
        for (var i = 0; i < tokens.Length; i++)
        {
            var mapping = Server.Given(Request.Create().WithPath(TokenPath).UsingPost()).InScenario("tokens");
            mapping = i == 0 ? mapping : mapping.WhenStateIs($"issued-{i}");
            if (i < tokens.Length - 1)
            {
                mapping = mapping.WillSetStateTo($"issued-{i + 1}");
            }

            mapping.RespondWith(TokenResponse(tokens[i]));
        }

        return this;
    }

    /// <summary>Every charge is created (201) with the provider id <c>ch_&lt;idempotency key&gt;</c>.</summary>
    public ProviderStub WithChargesCreated()
    {
        Server.Given(Request.Create().WithPath(ChargesPath).UsingPost()).AtPriority(100)
            .RespondWith(Response.Create().WithStatusCode(201).WithHeader("Content-Type", "application/json")
                .WithBody(request => $$"""{"id":"ch_{{Header(request, "Idempotency-Key")}}","status":"succeeded"}"""));
        return this;
    }

    /// <summary>Every message is accepted (202) with the provider id <c>msg_&lt;idempotency key&gt;</c>.</summary>
    public ProviderStub WithMessagesAccepted()
    {
        Server.Given(Request.Create().WithPath(MessagesPath).UsingPost()).AtPriority(100)
            .RespondWith(Response.Create().WithStatusCode(202).WithHeader("Content-Type", "application/json")
                .WithBody(request => $$"""{"id":"msg_{{Header(request, "Idempotency-Key")}}"}"""));
        return this;
    }

    /// <summary>Requests to <paramref name="path"/> with this idempotency key answer <paramref name="status"/> with <paramref name="body"/>.</summary>
    public ProviderStub Answer(string path, Guid idempotencyKey, int status, string body)
    {
        Server.Given(Request.Create().WithPath(path).UsingPost().WithHeader("Idempotency-Key", idempotencyKey.ToString()))
            .AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body));
        return this;
    }

    /// <summary>Every request to <paramref name="path"/> answers <paramref name="status"/> (before the defaults, after per-key answers).</summary>
    public ProviderStub AnswerAll(string path, int status, string body = """{"error":"unavailable"}""")
    {
        Server.Given(Request.Create().WithPath(path).UsingPost())
            .AtPriority(50)
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body));
        return this;
    }

    /// <summary>The token endpoint fails with <paramref name="status"/> once, then issues <paramref name="token"/>.</summary>
    public ProviderStub WithTokenAfterOneFailure(int status, string token = "token-1")
    {
        Server.Given(Request.Create().WithPath(TokenPath).UsingPost()).InScenario("flaky-token")
            .WillSetStateTo("recovered")
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody("""{"error":"temporarily_unavailable"}"""));
        Server.Given(Request.Create().WithPath(TokenPath).UsingPost()).InScenario("flaky-token").WhenStateIs("recovered")
            .RespondWith(TokenResponse(token));
        return this;
    }

    /// <summary>How many requests to <paramref name="path"/> this server answered with <paramref name="status"/>.</summary>
    public int Answered(string path, int status) =>
        Server.LogEntries.Count(e => e.RequestMessage.Path == path && e.ResponseMessage.StatusCode is { } code
            && Convert.ToInt32(code, System.Globalization.CultureInfo.InvariantCulture) == status);

    /// <summary>The pipeline and breaker name of this server as a payments endpoint.</summary>
    public string PaymentsEndpointName => "payments@" + new Uri(Server.Url!).Authority;

    /// <summary>Requests to <paramref name="path"/> with this idempotency key answer only after <paramref name="delay"/>.</summary>
    public ProviderStub AnswerSlowly(string path, Guid idempotencyKey, TimeSpan delay)
    {
        Server.Given(Request.Create().WithPath(path).UsingPost().WithHeader("Idempotency-Key", idempotencyKey.ToString()))
            .AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(201).WithDelay(delay).WithHeader("Content-Type", "application/json")
                .WithBody("""{"id":"ch_slow","status":"succeeded"}"""));
        return this;
    }

    /// <summary>Requests to <paramref name="path"/> with this idempotency key answer these statuses, one per request, then 201/202 from the defaults.</summary>
    public ProviderStub AnswerInTurn(string path, Guid idempotencyKey, params int[] statuses)
    {
        var scenario = "turns-" + idempotencyKey;
        for (var i = 0; i < statuses.Length; i++)
        {
            var mapping = Server.Given(Request.Create().WithPath(path).UsingPost().WithHeader("Idempotency-Key", idempotencyKey.ToString()))
                .AtPriority(1).InScenario(scenario);
            mapping = i == 0 ? mapping : mapping.WhenStateIs($"turn-{i}");
            mapping.WillSetStateTo($"turn-{i + 1}")
                .RespondWith(Response.Create().WithStatusCode(statuses[i]).WithHeader("Content-Type", "application/json").WithBody("""{"error":"unavailable"}"""));
        }

        return this;
    }

    /// <summary>The requests received on <paramref name="path"/>, optionally only those with this idempotency key.</summary>
    public IReadOnlyList<IRequestMessage> Requests(string path, Guid? idempotencyKey = null) =>
    [
        .. Server.LogEntries
            .Select(e => e.RequestMessage)
            .Where(r => r.Path == path)
            .Where(r => idempotencyKey is null || Header(r, "Idempotency-Key") == idempotencyKey.ToString()),
    ];

    /// <summary>A request header's value, or null.</summary>
    public static string? Header(IRequestMessage request, string name) =>
        request.Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();

    public void Dispose() => Server.Stop();

    private static IResponseBuilder TokenResponse(string token) =>
        Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
            .WithBody($$"""{"access_token":"{{token}}","token_type":"Bearer","expires_in":3600}""");
}
