using Messaging.Resilience.RateLimiting;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polly;
using Polly.RateLimiting;

namespace Messaging.Resilience.Tests.RateLimiting;

public sealed class ProviderQuotaTests(ServicesFixture services) : IClassFixture<ServicesFixture>
{
    private static Dictionary<string, string?> Quota(string provider, int global, int perTenant, string window = "01:00:00") => new()
    {
        [$"RateLimiting:Providers:{provider}:Global:PermitLimit"] = global.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [$"RateLimiting:Providers:{provider}:Global:Window"] = window,
        [$"RateLimiting:Providers:{provider}:PerTenant:PermitLimit"] = perTenant.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [$"RateLimiting:Providers:{provider}:PerTenant:Window"] = window,
    };

    private static string NewProvider() => "p" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task TwoWorkers_TogetherNeverExceedTheGlobalQuota()
    {
        var provider = NewProvider();
        using var first = new RedisLimitsHost(services, Quota(provider, global: 30, perTenant: 1000));
        using var second = new RedisLimitsHost(services, Quota(provider, global: 30, perTenant: 1000));

        var decisions = await Task.WhenAll(Enumerable.Range(0, 80).Select(i =>
            (i % 2 == 0 ? first : second).Quota.TryAcquireAsync(provider, "tenant-" + (i % 4), TestContext.Current.CancellationToken).AsTask()));

        Assert.Equal(30, decisions.Count(d => d.IsAllowed));
        Assert.All(decisions.Where(d => !d.IsAllowed), d => Assert.True(d.RetryAfter > TimeSpan.Zero));
    }

    [Fact]
    public async Task TenantQuota_RefusesThatTenant_WithoutTakingFromTheOthers()
    {
        var provider = NewProvider();
        using var worker = new RedisLimitsHost(services, Quota(provider, global: 10, perTenant: 3));

        var greedy = new List<ProviderQuotaDecision>();
        for (var i = 0; i < 8; i++)
        {
            greedy.Add(await worker.Quota.TryAcquireAsync(provider, "greedy", TestContext.Current.CancellationToken));
        }

        var others = 0;
        for (var i = 0; i < 10; i++)
        {
            if ((await worker.Quota.TryAcquireAsync(provider, "other-" + (i % 5), TestContext.Current.CancellationToken)).IsAllowed)
            {
                others++;
            }
        }

        Assert.Equal(3, greedy.Count(d => d.IsAllowed));
        Assert.Equal(7, others); // the global 10 minus the greedy tenant's 3: its refusals took nothing
    }

    [Fact]
    public async Task ReportThrottled_DefersEveryWorker_ForTheRetryAfter()
    {
        var provider = NewProvider();
        using var first = new RedisLimitsHost(services, Quota(provider, global: 100, perTenant: 100));
        using var second = new RedisLimitsHost(services, Quota(provider, global: 100, perTenant: 100));

        await first.Quota.ReportThrottledAsync(provider, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var elsewhere = await second.Quota.TryAcquireAsync(provider, "t", TestContext.Current.CancellationToken);

        Assert.False(elsewhere.IsAllowed);
        Assert.Equal(RateLimitSource.Redis, elsewhere.Source);
        Assert.InRange(elsewhere.RetryAfter, TimeSpan.FromSeconds(29), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ReportThrottled_CapsTheRetryAfterAtMaxPause()
    {
        var provider = NewProvider();
        var settings = Quota(provider, global: 100, perTenant: 100);
        settings[$"RateLimiting:Providers:{provider}:MaxPause"] = "00:00:10";
        using var worker = new RedisLimitsHost(services, settings);

        await worker.Quota.ReportThrottledAsync(provider, TimeSpan.FromHours(2), TestContext.Current.CancellationToken);
        var decision = await worker.Quota.TryAcquireAsync(provider, "t", TestContext.Current.CancellationToken);

        Assert.False(decision.IsAllowed);
        Assert.InRange(decision.RetryAfter, TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task UnconfiguredProvider_IsNotLimited()
    {
        using var worker = new RedisLimitsHost(services);

        var decisions = new List<ProviderQuotaDecision>();
        for (var i = 0; i < 5; i++)
        {
            decisions.Add(await worker.Quota.TryAcquireAsync("nobody-configured-this", "t", TestContext.Current.CancellationToken));
        }

        Assert.All(decisions, d => Assert.True(d.IsAllowed));
    }

    [Fact]
    public async Task CreateLimiter_InAPollyPipeline_RejectsWithRetryAfter_BeforeTheCall()
    {
        var provider = NewProvider();
        using var worker = new RedisLimitsHost(services, Quota(provider, global: 2, perTenant: 2));
        using var limiter = worker.Quota.CreateLimiter(provider, "t");
        var pipeline = new ResiliencePipelineBuilder().AddRateLimiter(limiter).Build();
        var calls = 0;

        for (var i = 0; i < 2; i++)
        {
            await pipeline.ExecuteAsync(_ => { calls++; return ValueTask.CompletedTask; }, TestContext.Current.CancellationToken);
        }

        var rejected = await Assert.ThrowsAsync<RateLimiterRejectedException>(async () =>
            await pipeline.ExecuteAsync(_ => { calls++; return ValueTask.CompletedTask; }, TestContext.Current.CancellationToken));
        Assert.Equal(2, calls);
        Assert.NotNull(rejected.RetryAfter);
        Assert.True(rejected.RetryAfter > TimeSpan.Zero);
    }

    [Fact]
    public void InvalidQuota_FailsAtStart_NamingTheKey()
    {
        using var worker = new RedisLimitsHost(services, new Dictionary<string, string?>
        {
            ["RateLimiting:Providers:payments:Global:PermitLimit"] = "0",
        });

        var error = Assert.Throws<OptionsValidationException>(() => worker.Services.GetRequiredService<IOptionsMonitor<ProviderQuotasOptions>>().CurrentValue);
        Assert.Contains("RateLimiting:Providers:payments:Global", error.Message, StringComparison.Ordinal);
    }
}
