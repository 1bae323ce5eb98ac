using Messaging.Resilience.RateLimiting;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Messaging.Resilience.Tests.RateLimiting;

public sealed class RedisRateLimitStoreTests(ServicesFixture services) : IClassFixture<ServicesFixture>
{
    private static string NewScope() => "test:" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Acquire_FromTwoInstancesAtOnce_GrantsExactlyTheQuota()
    {
        using var first = new RedisLimitsHost(services);
        using var second = new RedisLimitsHost(services);
        var rule = RateLimitRule.Create(100, TimeSpan.FromHours(1));
        var scope = NewScope();

        var decisions = await Task.WhenAll(Enumerable.Range(0, 150).Select(i =>
            (i % 2 == 0 ? first : second).Limits.AcquireAsync("test", scope, rule, 1, TestContext.Current.CancellationToken).AsTask()));

        Assert.Equal(100, decisions.Count(d => d.IsAllowed));
        Assert.All(decisions, d => Assert.Equal(RateLimitSource.Redis, d.Source));
        Assert.False(first.Limits.IsDegraded);
    }

    [Fact]
    public async Task Acquire_WhenRefused_SaysWhenTheNextPermitComesBack()
    {
        using var host = new RedisLimitsHost(services);
        var rule = RateLimitRule.Create(10, TimeSpan.FromSeconds(100));
        var scope = NewScope();
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await host.Limits.AcquireAsync("test", scope, rule, 1, TestContext.Current.CancellationToken)).IsAllowed);
        }

        var refused = await host.Limits.AcquireAsync("test", scope, rule, 1, TestContext.Current.CancellationToken);

        Assert.False(refused.IsAllowed);
        Assert.InRange(refused.RetryAfter, TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(10));
        Assert.InRange(refused.ResetAfter, TimeSpan.FromSeconds(99), TimeSpan.FromSeconds(100));
        Assert.Equal(0, refused.Remaining);
    }

    [Fact]
    public async Task Acquire_SetsAnExpiryNoLongerThanTheTimeToRefill()
    {
        using var host = new RedisLimitsHost(services);
        var rule = RateLimitRule.Create(10, TimeSpan.FromMinutes(1));
        var scope = NewScope();

        await host.Limits.AcquireAsync("test", scope, rule, 3, TestContext.Current.CancellationToken);

        var store = (RedisRateLimitStore)host.Services.GetRequiredService<IRateLimitStore>();
        var ttl = await host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase().KeyTimeToLiveAsync(store.Key(scope, ""));
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(17), TimeSpan.FromSeconds(19));
    }

    [Fact]
    public async Task Acquire_AfterRedisForgetsTheScript_LoadsItAgain()
    {
        using var host = new RedisLimitsHost(services);
        var rule = RateLimitRule.Create(5, TimeSpan.FromMinutes(1));
        await host.Limits.AcquireAsync("test", NewScope(), rule, 1, TestContext.Current.CancellationToken);
        using (var admin = await ConnectionMultiplexer.ConnectAsync(services.RedisConnectionString + ",allowAdmin=true"))
        {
            await admin.GetServers()[0].ScriptFlushAsync();
        }

        var decision = await host.Limits.AcquireAsync("test", NewScope(), rule, 1, TestContext.Current.CancellationToken);

        Assert.True(decision.IsAllowed);
        Assert.Equal(RateLimitSource.Redis, decision.Source);
    }

    [Fact]
    public async Task Release_GivesAPermitBack_InRedis()
    {
        using var host = new RedisLimitsHost(services);
        var rule = RateLimitRule.Create(2, TimeSpan.FromHours(1));
        var scope = NewScope();
        await host.Limits.AcquireAsync("test", scope, rule, 2, TestContext.Current.CancellationToken);

        await host.Limits.ReleaseAsync("test", scope, [new RateLimitBucket("", rule)], 1, TestContext.Current.CancellationToken);

        Assert.True((await host.Limits.AcquireAsync("test", scope, rule, 1, TestContext.Current.CancellationToken)).IsAllowed);
        Assert.False((await host.Limits.AcquireAsync("test", scope, rule, 1, TestContext.Current.CancellationToken)).IsAllowed);
    }

    [Fact]
    public async Task Acquire_WithRedisUnreachable_FallsBackToTheShareWithoutThrowing()
    {
        // A port nothing listens on: every call fails fast, like a stopped Redis.
        using var host = new RedisLimitsHost(services,
            new Dictionary<string, string?> { ["RateLimiting:InstanceShare"] = "0.25" },
            redis: "127.0.0.1:1,connectTimeout=200");
        var rule = RateLimitRule.Create(20, TimeSpan.FromHours(1));
        var scope = NewScope();

        var decisions = new List<RateLimitDecision>();
        for (var i = 0; i < 20; i++)
        {
            decisions.Add(await host.Limits.AcquireAsync("test", scope, rule, 1, TestContext.Current.CancellationToken));
        }

        Assert.Equal(5, decisions.Count(d => d.IsAllowed));
        Assert.All(decisions, d => Assert.Equal(RateLimitSource.Local, d.Source));
        Assert.True(host.Limits.IsDegraded);
    }
}
