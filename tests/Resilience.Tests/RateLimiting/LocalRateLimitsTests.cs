using Messaging.Resilience.RateLimiting;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Resilience.Tests.RateLimiting;

public sealed class LocalRateLimitsTests
{
    private static readonly RateLimitRule TenPerTenSeconds = RateLimitRule.Create(10, TimeSpan.FromSeconds(10));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    private static RateLimitBucket[] One(RateLimitRule rule) => [new RateLimitBucket("", rule)];

    [Fact]
    public void Acquire_GrantsTheBurst_ThenRefusesWithTheTimeToTheNextPermit()
    {
        var limits = new LocalRateLimits(_time);

        var granted = Enumerable.Range(0, 15).Select(_ => limits.Acquire("s", One(TenPerTenSeconds), 1)).ToList();

        Assert.Equal(10, granted.Count(a => a.IsAllowed));
        Assert.All(granted.Skip(10), a => Assert.False(a.IsAllowed));
        Assert.Equal(TimeSpan.FromSeconds(1), granted[^1].RetryAfter);
        Assert.Equal(0, granted[9].Remaining);
        Assert.Equal(9, granted[0].Remaining);
    }

    [Fact]
    public void Acquire_GivesOnePermitBackPerEmissionInterval()
    {
        var limits = new LocalRateLimits(_time);
        for (var i = 0; i < 10; i++)
        {
            limits.Acquire("s", One(TenPerTenSeconds), 1);
        }

        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(limits.Acquire("s", One(TenPerTenSeconds), 1).IsAllowed);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limits.Acquire("s", One(TenPerTenSeconds), 1).IsAllowed);
        Assert.False(limits.Acquire("s", One(TenPerTenSeconds), 1).IsAllowed);
    }

    [Fact]
    public void Acquire_WithAShare_GrantsOnlyThatShareOfBurstAndRate()
    {
        var limits = new LocalRateLimits(_time);

        var first = Enumerable.Range(0, 10).Count(_ => limits.Acquire("s", One(TenPerTenSeconds), 1, share: 0.5).IsAllowed);
        _time.Advance(TimeSpan.FromSeconds(10));
        var nextWindow = Enumerable.Range(0, 10).Count(_ => limits.Acquire("s", One(TenPerTenSeconds), 1, share: 0.5).IsAllowed);

        Assert.Equal(5, first);
        Assert.Equal(5, nextWindow);
    }

    [Fact]
    public void Acquire_OverSeveralBuckets_IsAllOrNothing()
    {
        var limits = new LocalRateLimits(_time);
        var global = new RateLimitBucket("global", RateLimitRule.Create(3, TimeSpan.FromMinutes(1)));
        RateLimitBucket[] tenantA = [global, new RateLimitBucket("tenant:a", RateLimitRule.Create(1, TimeSpan.FromMinutes(1)))];
        RateLimitBucket[] tenantB = [global, new RateLimitBucket("tenant:b", RateLimitRule.Create(5, TimeSpan.FromMinutes(1)))];

        Assert.True(limits.Acquire("provider", tenantA, 1).IsAllowed);
        var refusedA = limits.Acquire("provider", tenantA, 1);
        var grantedB = Enumerable.Range(0, 5).Count(_ => limits.Acquire("provider", tenantB, 1).IsAllowed);

        // Tenant a's refusal took nothing from the global bucket: b gets the two permits left.
        Assert.False(refusedA.IsAllowed);
        Assert.Equal(1, refusedA.BucketIndex);
        Assert.Equal(2, grantedB);
    }

    [Fact]
    public void Pause_RefusesEveryAcquisitionUntilItEnds()
    {
        var limits = new LocalRateLimits(_time);
        limits.Pause("s", TimeSpan.FromSeconds(30));

        var paused = limits.Acquire("s", One(TenPerTenSeconds), 1);
        _time.Advance(TimeSpan.FromSeconds(30));
        var after = limits.Acquire("s", One(TenPerTenSeconds), 1);

        Assert.False(paused.IsAllowed);
        Assert.Equal(-1, paused.BucketIndex);
        Assert.Equal(TimeSpan.FromSeconds(30), paused.RetryAfter);
        Assert.True(after.IsAllowed);
    }

    [Fact]
    public void Acquire_WithNegativePermits_GivesPermitsBack()
    {
        var limits = new LocalRateLimits(_time);
        for (var i = 0; i < 10; i++)
        {
            limits.Acquire("s", One(TenPerTenSeconds), 1);
        }

        limits.Acquire("s", One(TenPerTenSeconds), -2);

        Assert.True(limits.Acquire("s", One(TenPerTenSeconds), 1).IsAllowed);
        Assert.True(limits.Acquire("s", One(TenPerTenSeconds), 1).IsAllowed);
        Assert.False(limits.Acquire("s", One(TenPerTenSeconds), 1).IsAllowed);
    }

    [Fact]
    public void Acquire_ManyScopes_SweepsThoseThatAreFullAgain()
    {
        var limits = new LocalRateLimits(_time);
        for (var i = 0; i < 10_001; i++)
        {
            limits.Acquire("scope-" + i, One(TenPerTenSeconds), 1);
        }

        _time.Advance(TimeSpan.FromSeconds(2));
        limits.Acquire("one-more", One(TenPerTenSeconds), 1);

        Assert.True(limits.Count < 100, $"{limits.Count} scopes kept");
    }

    [Fact]
    public async Task Acquire_FromManyThreads_NeverGrantsMoreThanTheBurst()
    {
        var limits = new LocalRateLimits(_time);
        var rule = RateLimitRule.Create(1000, TimeSpan.FromHours(1));
        var granted = 0;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 500; i++)
            {
                if (limits.Acquire("s", One(rule), 1).IsAllowed)
                {
                    Interlocked.Increment(ref granted);
                }
            }
        }, TestContext.Current.CancellationToken)));

        Assert.Equal(1000, granted);
    }
}
