using System.Net;

namespace Messaging.System.Tests.Fallback;

/// <summary>
/// The fallback chains with real processes (gateway, workers, FakeServices) whose PostgreSQL, RabbitMQ and
/// Redis are cut at TCP proxies: PostgreSQL away → direct publish, executed once it returns; RabbitMQ
/// away → outbox, delivered once it returns; both away → 503 and nothing accepted; Redis away → local
/// rate limits, no 5xx. Every answer is scanned for internals, and tenant B never sees tenant A's commands.
/// </summary>
public sealed class FallbackChainTests(FallbackSystem system) : IClassFixture<FallbackSystem>
{
    private const string Charge = """{"amount":4.20,"currency":"EUR","customerId":"cus_fallback"}""";

    [Fact]
    public async Task PostgresCut_CommandsAreAcceptedDirectly_AndEachSucceedsExactlyOnceAfterItReturns()
    {
        var tokenA = await system.TokenAsync("tenant-fb-pg-a");
        var tokenB = await system.TokenAsync("tenant-fb-pg-b");
        var ids = new List<string>();
        var keyed = new Dictionary<string, string>(StringComparer.Ordinal);
        system.Postgres.Cut();
        try
        {
            for (var i = 0; i < 12; i++)
            {
                var key = i % 3 == 0 ? $"fb-pg-{i}-{Guid.NewGuid():N}" : null;
                var accepted = await system.PostAsync(tokenA, "payments.charge", Charge, key);
                Leaks.AssertNone(accepted.Body);
                Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
                Assert.Equal("direct", accepted.Json.GetProperty("acceptedVia").GetString());
                var id = accepted.Json.GetProperty("id").GetString()!;
                ids.Add(id);
                if (key is not null)
                {
                    keyed[key] = id;

                    // A client retrying during the outage gets the same command, not a second one.
                    var retried = await system.PostAsync(tokenA, "payments.charge", Charge, key);
                    Assert.Equal(HttpStatusCode.Accepted, retried.Status);
                    Assert.Equal(id, retried.Json.GetProperty("id").GetString());
                }
            }

            // Authentication stays closed while its store is away; issued tokens keep working (above). (A well-formed id:
            // a malformed one is refused before the store is asked.)
            using (var token = await system.RequestTokenAsync("cli_" + Guid.NewGuid().ToString("N"), "whatever"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, token.StatusCode);
                Leaks.AssertNone(await token.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            }

            // Tenant A may see a stale status of its own command; tenant B never sees it, not even from the cache.
            foreach (var id in ids.Take(3))
            {
                var own = await system.GetAsync(tokenA, $"api/commands/{id}");
                Leaks.AssertNone(own.Body);
                Assert.Equal(HttpStatusCode.OK, own.Status);
                Assert.True(own.Json.GetProperty("stale").GetBoolean());

                var other = await system.GetAsync(tokenB, $"api/commands/{id}");
                Leaks.AssertNone(other.Body);
                Assert.NotEqual(HttpStatusCode.OK, other.Status);
                Assert.DoesNotContain(id, other.Body, StringComparison.OrdinalIgnoreCase);
            }
        }
        finally
        {
            system.RestoreAll();
        }

        await system.WaitUntilReadableAsync(tokenA);
        foreach (var id in ids)
        {
            var status = await system.WaitForStatusAsync(tokenA, id, "Succeeded", TimeSpan.FromSeconds(90));
            Assert.Equal("Succeeded", status.GetProperty("status").GetString());
            Assert.Equal(1, await system.Providers.EffectsForKeyAsync("payments", id));
            var other = await system.GetAsync(tokenB, $"api/commands/{id}");
            Assert.Equal(HttpStatusCode.NotFound, other.Status);
        }

        // None lost, none doubled; the keys seen during the outage are now in the table, each for its command.
        Assert.Equal(ids.Count, await system.CountAsync("SELECT count(*) FROM commands WHERE tenant = 'tenant-fb-pg-a'"));
        foreach (var (key, id) in keyed)
        {
            Assert.Equal(1, await system.CountAsync("SELECT count(*) FROM idempotency_keys WHERE tenant = 'tenant-fb-pg-a' AND key = @k AND command_id = @id::uuid",
                ("k", key), ("id", id)));
        }
    }

    [Fact]
    public async Task RabbitMqCut_CommandsAreAcceptedIntoTheOutbox_AndDeliveredAfterItReturns()
    {
        var token = await system.TokenAsync("tenant-fb-mq");
        var ids = new List<string>();
        system.Rabbit.Cut();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                var accepted = await system.PostAsync(token, "payments.charge", Charge);
                Leaks.AssertNone(accepted.Body);
                Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
                Assert.Equal("outbox", accepted.Json.GetProperty("acceptedVia").GetString());
                ids.Add(accepted.Json.GetProperty("id").GetString()!);
            }

            var read = await system.GetAsync(token, $"api/commands/{ids[0]}");
            Assert.Equal(HttpStatusCode.OK, read.Status);
            Assert.False(read.Json.TryGetProperty("stale", out _));
        }
        finally
        {
            system.RestoreAll();
        }

        foreach (var id in ids)
        {
            var status = await system.WaitForStatusAsync(token, id, "Succeeded", TimeSpan.FromSeconds(90));
            Assert.Equal("Succeeded", status.GetProperty("status").GetString());
            Assert.Equal(1, await system.Providers.EffectsForKeyAsync("payments", id));
        }
    }

    [Fact]
    public async Task PostgresAndRabbitMqCut_SubmitsAre503WithRetryAfter_AndNothingIsAccepted()
    {
        const string Tenant = "tenant-fb-none";
        var token = await system.TokenAsync(Tenant);
        system.Postgres.Cut();
        system.Rabbit.Cut();
        try
        {
            foreach (var key in new[] { null, "fb-none-" + Guid.NewGuid().ToString("N"), null })
            {
                var refused = await system.PostAsync(token, "payments.charge", Charge, key);
                Leaks.AssertNone(refused.Body);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
                Assert.Equal("application/problem+json", refused.ContentType);
                Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            }
        }
        finally
        {
            system.RestoreAll();
        }

        // Back to normal: one more command goes all the way; nothing of the refused ones ever shows up.
        await system.WaitUntilReadableAsync(token);
        string? marker = null;
        Assert.True(await FallbackSystem.EventuallyAsync(async () =>
        {
            var accepted = await system.PostAsync(token, "payments.charge", Charge);
            Leaks.AssertNone(accepted.Body);
            if (accepted.Status == HttpStatusCode.Accepted)
            {
                marker = accepted.Json.GetProperty("id").GetString();
            }

            return marker is not null;
        }, TimeSpan.FromSeconds(60)));
        Assert.Equal("Succeeded", (await system.WaitForStatusAsync(token, marker!, "Succeeded", TimeSpan.FromSeconds(90))).GetProperty("status").GetString());
        Assert.Equal(1, await system.CountAsync($"SELECT count(*) FROM commands WHERE tenant = '{Tenant}'"));
    }

    [Fact]
    public async Task RedisCut_RateLimitsDegradeLocally_WithNoServerErrors()
    {
        var token = await system.TokenAsync("tenant-fb-redis");
        var admin = await system.TokenAsync("operators", "operator");
        var answers = new List<FallbackSystem.Answer>();
        system.Redis.Cut();
        try
        {
            for (var i = 0; i < 30; i++)
            {
                var accepted = await system.PostAsync(token, "notifications.send",
                    """{"channel":"email","to":"ada@example.com","subject":"Hi","body":"Redis is away"}""", i % 2 == 0 ? $"fb-redis-{i}-{Guid.NewGuid():N}" : null);
                answers.Add(accepted);
                if (accepted.Status == HttpStatusCode.Accepted)
                {
                    answers.Add(await system.GetAsync(token, $"api/commands/{accepted.Json.GetProperty("id").GetString()}"));
                }
            }

            // The degradation is visible, not silent (the operators' overview names dependencies by design, so it is
            // not part of the leak scan of the clients' answers).
            var overview = await system.GetAsync(admin, "api/monitoring/overview");
            Assert.Equal(HttpStatusCode.OK, overview.Status);
            Assert.True(overview.Json.GetProperty("rateLimiting").GetProperty("degraded").GetBoolean());
        }
        finally
        {
            system.RestoreAll();
        }

        Assert.All(answers, a => Assert.True((int)a.Status < 500, $"{(int)a.Status}: {a.Body}"));
        Assert.All(answers, a => Leaks.AssertNone(a.Body));
        Assert.Contains(answers, a => a.Status == HttpStatusCode.Accepted);
        Assert.All(answers.Where(a => a.Status == HttpStatusCode.TooManyRequests), a => Assert.NotNull(a.Headers.RetryAfter));
    }
}
