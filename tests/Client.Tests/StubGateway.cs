using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Client.Tests;

/// <summary>
/// An in-memory stand-in for the gateway's HTTP API, for the client's pure logic (token timing, retry
/// classification) under a <see cref="FakeTimeProvider"/>. Tokens are "token-1", "token-2", ...; an API
/// call with an expired token gets 401, like the real gateway.
/// </summary>
internal sealed class StubGateway : HttpMessageHandler
{
    private readonly FakeTimeProvider _time;
    private readonly Dictionary<string, DateTimeOffset> _expiries = [];
#if NET9_0_OR_GREATER
    private readonly Lock _lock = new();
#else
    private readonly object _lock = new(); // also compiled by tests/Client.Net8.Tests
#endif

    public StubGateway(FakeTimeProvider time) => _time = time;

    public int TokenLifetimeSeconds { get; set; } = 300;

    /// <summary>Completes token requests; replace it to hold them back.</summary>
    public Func<Task> BeforeToken { get; set; } = () => Task.CompletedTask;

    /// <summary>When it returns an answer, token requests get that answer instead of a token.</summary>
    public Func<HttpResponseMessage?> TokenFailure { get; set; } = () => null;

    /// <summary>Answers API calls (the token has already been checked).</summary>
    public Func<HttpRequestMessage, int, HttpResponseMessage> Api { get; set; } = (_, _) => Json(HttpStatusCode.OK, """{"items":[],"nextCursor":null}""");

    public int TokenRequests { get; private set; }

    public List<(string Token, DateTimeOffset At, HttpStatusCode Status, string? IdempotencyKey)> Calls { get; } = [];

    public static HttpResponseMessage Json(HttpStatusCode status, string body, string mediaType = "application/json") =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, mediaType) };

    public static HttpResponseMessage Problem(HttpStatusCode status, string title) =>
        Json(status, $$"""{"type":"https://tools.ietf.org/html/rfc9110","title":"{{title}}","status":{{(int)status}},"traceId":"abc"}""", "application/problem+json");

    /// <summary>A client on this stub, with fast retries.</summary>
    public MessagingClient CreateClient(Action<MessagingClientOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddMessagingClient(options =>
        {
            options.BaseAddress = new Uri("http://gateway.test/");
            options.ClientId = "cli_test";
            options.ClientSecret = "secret";
            options.RetryDelay = TimeSpan.FromMilliseconds(100);
            configure?.Invoke(options);
        }).ConfigurePrimaryHttpMessageHandler(() => this);
        return services.BuildServiceProvider().GetRequiredService<MessagingClient>();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri!.AbsolutePath == "/api/auth/token")
        {
            await BeforeToken();
            if (TokenFailure() is { } failure)
            {
                return failure;
            }

            string token;
            lock (_lock)
            {
                TokenRequests++;
                token = $"token-{TokenRequests}";
                _expiries[token] = _time.GetUtcNow().AddSeconds(TokenLifetimeSeconds);
            }

            return Json(HttpStatusCode.OK, $$"""{"access_token":"{{token}}","token_type":"Bearer","expires_in":{{TokenLifetimeSeconds}}}""");
        }

        var presented = request.Headers.Authorization?.Parameter ?? "";
        var key = request.Headers.TryGetValues("Idempotency-Key", out var keys) ? keys.Single() : null;
        HttpResponseMessage response;
        int attempt;
        lock (_lock)
        {
            var valid = _expiries.TryGetValue(presented, out var expiry) && _time.GetUtcNow() < expiry;
            attempt = Calls.Count(c => c.IdempotencyKey == key && key is not null) + 1;
            response = valid ? Api(request, attempt) : Problem(HttpStatusCode.Unauthorized, "Unauthorized");
            Calls.Add((presented, _time.GetUtcNow(), response.StatusCode, key));
        }

        return response;
    }
}
