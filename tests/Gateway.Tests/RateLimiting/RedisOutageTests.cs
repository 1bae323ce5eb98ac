using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Messaging.Gateway.Tests.RateLimiting;

public sealed class RedisOutageTests(RedisOutageFixture gateway) : IClassFixture<RedisOutageFixture>
{
    private const string AnyCommand = "/api/commands/5f0c7f6a-0000-4000-8000-000000000001";

    private static string NewClientAddress() => $"2001:db8:{Random.Shared.Next(1, 0xffff):x}:{Random.Shared.Next(1, 0xffff):x}::9";

    private async Task<List<HttpStatusCode>> SendAsync(HttpClient http, string client, int count)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < count; i++)
        {
            using var request = RateLimitedGateway.From(client, HttpMethod.Get, AnyCommand);
            using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
            statuses.Add(response.StatusCode);
        }

        return statuses;
    }

    private async Task<(string? RateLimiting, HttpStatusCode Status)> ReadinessAsync(HttpClient http)
    {
        using var request = RateLimitedGateway.From(NewClientAddress(), HttpMethod.Get, "/health/ready");
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        var check = body.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "rate-limiting");
        return (check.GetProperty("status").GetString(), response.StatusCode);
    }

    private async Task<JsonElement> RateLimitingOverviewAsync(HttpClient admin)
    {
        using var request = RateLimitedGateway.From(NewClientAddress(), HttpMethod.Get, "/api/monitoring/overview");
        using var response = await admin.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("rateLimiting");
    }

    // Waiting for a real Redis client to reconnect: bounded polling of an external condition, not a timing assertion.
    private async Task WaitForRecoveryAsync(HttpClient http)
    {
        for (var i = 0; i < 120; i++)
        {
            if ((await ReadinessAsync(http)).RateLimiting == "Healthy")
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), TestContext.Current.CancellationToken);
        }

        Assert.Fail("The rate limiter did not return to Redis within 30 s of Redis coming back.");
    }

    // /health/ready answers from a report up to a second old (docs/security.md, "Safe defaults"): a new state shows
    // within that second. Bounded polling of an external condition, not a timing assertion.
    private async Task<(string? RateLimiting, HttpStatusCode Status)> ReadinessOnceItSaysAsync(HttpClient http, string expected)
    {
        var readiness = await ReadinessAsync(http);
        for (var i = 0; i < 40 && readiness.RateLimiting != expected; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
            readiness = await ReadinessAsync(http);
        }

        return readiness;
    }

    [Fact]
    public async Task RedisCut_StillLimitsLocally_WithoutServerErrors_ShowsDegraded_AndRecovers()
    {
        using var http = gateway.CreateClient();
        using var admin = gateway.ClientFor(gateway.Factory, "operators", "operator");
        Assert.Equal(RedisOutageFixture.Limit, (await SendAsync(http, NewClientAddress(), RedisOutageFixture.Limit + 5)).Count(s => s != HttpStatusCode.TooManyRequests));

        gateway.Proxy.Cut();
        try
        {
            var duringOutage = await SendAsync(http, NewClientAddress(), 60);

            // This instance's share (0.5 of 20), never more, and never a 5xx.
            Assert.Equal(RedisOutageFixture.Limit / 2, duringOutage.Count(s => s == HttpStatusCode.Unauthorized));
            Assert.Equal(60 - (RedisOutageFixture.Limit / 2), duringOutage.Count(s => s == HttpStatusCode.TooManyRequests));
            Assert.DoesNotContain(duringOutage, s => (int)s >= 500);

            var overview = await RateLimitingOverviewAsync(admin);
            Assert.True(overview.GetProperty("degraded").GetBoolean());
            Assert.True(overview.GetProperty("rejectedLastMinute").GetInt64() >= 50);
            var (readiness, status) = await ReadinessOnceItSaysAsync(http, "Degraded");
            Assert.Equal("Degraded", readiness);
            Assert.Equal(HttpStatusCode.OK, status);
        }
        finally
        {
            gateway.Proxy.Restore();
        }

        await WaitForRecoveryAsync(http);
        Assert.False((await RateLimitingOverviewAsync(admin)).GetProperty("degraded").GetBoolean());

        // Shared again: a new client gets the whole quota from Redis, not the local share.
        Assert.Equal(RedisOutageFixture.Limit, (await SendAsync(http, NewClientAddress(), RedisOutageFixture.Limit + 5)).Count(s => s == HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task RedisStalled_AnswersFromTheLocalShare_WithoutServerErrors()
    {
        using var http = gateway.CreateClient();
        await WaitForRecoveryAsync(http);

        gateway.Proxy.Blackhole();
        try
        {
            var duringStall = await SendAsync(http, NewClientAddress(), 15);

            Assert.Equal(RedisOutageFixture.Limit / 2, duringStall.Count(s => s == HttpStatusCode.Unauthorized));
            Assert.DoesNotContain(duringStall, s => (int)s >= 500);
            Assert.Equal("Degraded", (await ReadinessOnceItSaysAsync(http, "Degraded")).RateLimiting);
        }
        finally
        {
            gateway.Proxy.Restore();
        }

        await WaitForRecoveryAsync(http);
    }
}
