using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Messaging.Gateway.Tests.RateLimiting;

public sealed partial class IpRateLimitTests(IpRateLimitFixture gateway) : IClassFixture<IpRateLimitFixture>
{
    private const string AnyCommand = "/api/commands/5f0c7f6a-0000-4000-8000-000000000001";

    private static string NewClientAddress() => $"2001:db8:{Random.Shared.Next(1, 0xffff):x}:{Random.Shared.Next(1, 0xffff):x}::7";

    [Fact]
    public async Task PerIp_AcrossTwoGateways_AcceptsExactlyTheLimit()
    {
        await using var second = gateway.CreateSecondInstance();
        using var first = gateway.CreateClient();
        using var other = second.CreateClient();
        var client = NewClientAddress();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < IpRateLimitFixture.Limit + 50; i++)
        {
            using var request = RateLimitedGateway.From(client, HttpMethod.Get, AnyCommand);
            using var response = await (i % 2 == 0 ? first : other).SendAsync(request, TestContext.Current.CancellationToken);
            statuses.Add(response.StatusCode);
        }

        // Accepted requests go on to authentication (no token: 401); the others are refused before it.
        Assert.Equal(IpRateLimitFixture.Limit, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(50, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.DoesNotContain(statuses, s => (int)s >= 500);
    }

    [Fact]
    public async Task Rejection_IsProblemJson_WithRetryAfter_AndTheRateLimitFields()
    {
        using var http = gateway.CreateClient();
        var client = NewClientAddress();
        for (var i = 0; i < IpRateLimitFixture.Limit; i++)
        {
            using var request = RateLimitedGateway.From(client, HttpMethod.Get, AnyCommand);
            using var accepted = await http.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.NotEqual(HttpStatusCode.TooManyRequests, accepted.StatusCode);
        }

        using var refusedRequest = RateLimitedGateway.From(client, HttpMethod.Get, AnyCommand);
        using var refused = await http.SendAsync(refusedRequest, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(120));
        Assert.Equal("\"ip\";q=30;w=3600", Assert.Single(refused.Headers.GetValues("RateLimit-Policy")));
        Assert.Matches(RateLimitField(), Assert.Single(refused.Headers.GetValues("RateLimit")));
        var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(429, body.GetProperty("status").GetInt32());
        Assert.Equal("Too many requests", body.GetProperty("title").GetString());
        Assert.Equal("https://www.rfc-editor.org/rfc/rfc6585#section-4", body.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("traceId").GetString()));
    }

    [Fact]
    public async Task ForwardedFor_FromAPeerThatIsNotAKnownProxy_IsIgnored()
    {
        using var http = gateway.CreateClient();
        var peer = "127.0.0.77";

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < IpRateLimitFixture.Limit + 5; i++)
        {
            // A client rotating its X-Forwarded-For: without a trusted proxy in between, it stays one client.
            using var request = RateLimitedGateway.From(NewClientAddress(), HttpMethod.Get, AnyCommand);
            request.Headers.Add(RateLimitedGateway.PeerHeader, peer);
            using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task IPv6Clients_ShareTheLimitOfTheirSlash64()
    {
        using var http = gateway.CreateClient();
        var prefix = $"2001:db8:{Random.Shared.Next(1, 0xffff):x}:{Random.Shared.Next(1, 0xffff):x}";

        var refused = 0;
        for (var i = 0; i < IpRateLimitFixture.Limit + 3; i++)
        {
            using var request = RateLimitedGateway.From($"{prefix}::{i + 1:x}", HttpMethod.Get, AnyCommand);
            using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
            refused += response.StatusCode == HttpStatusCode.TooManyRequests ? 1 : 0;
        }

        Assert.Equal(3, refused);
    }

    [Fact]
    public async Task HealthAndMetrics_AreNotLimited()
    {
        using var http = gateway.CreateClient();
        var client = NewClientAddress();
        for (var i = 0; i < IpRateLimitFixture.Limit + 1; i++)
        {
            using var request = RateLimitedGateway.From(client, HttpMethod.Get, AnyCommand);
            using var _ = await http.SendAsync(request, TestContext.Current.CancellationToken);
        }

        using var live = RateLimitedGateway.From(client, HttpMethod.Get, "/health/live");
        using var metrics = RateLimitedGateway.From(client, HttpMethod.Get, "/metrics");
        using var liveResponse = await http.SendAsync(live, TestContext.Current.CancellationToken);
        using var metricsResponse = await http.SendAsync(metrics, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, liveResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metricsResponse.StatusCode);
        Assert.Contains("messaging_rate_limiting_decisions", await metricsResponse.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [GeneratedRegex("^\"ip\";r=0;t=[1-9][0-9]*$")]
    private static partial Regex RateLimitField();
}
