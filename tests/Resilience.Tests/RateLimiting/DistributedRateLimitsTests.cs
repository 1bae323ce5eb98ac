using System.Threading.RateLimiting;
using Messaging.Resilience.RateLimiting;
using Polly;
using Polly.RateLimiting;
using StackExchange.Redis;

namespace Messaging.Resilience.Tests.RateLimiting;

public sealed class DistributedRateLimitsTests : IDisposable
{
    private static readonly RateLimitRule Twenty = RateLimitRule.Create(20, TimeSpan.FromHours(1));
    private readonly RateLimitingTestContext _context = new(instanceShare: 0.5, probeInterval: TimeSpan.FromSeconds(5));

    public void Dispose() => _context.Dispose();

    private DistributedRateLimits Limits => _context.Limits;

    private async Task<int> AcquireManyAsync(int count, string scope = "s")
    {
        var granted = 0;
        for (var i = 0; i < count; i++)
        {
            if ((await Limits.AcquireAsync("test", scope, Twenty, 1, TestContext.Current.CancellationToken)).IsAllowed)
            {
                granted++;
            }
        }

        return granted;
    }

    [Fact]
    public async Task Acquire_WhileTheStoreAnswers_DecidesInTheStore()
    {
        var granted = await AcquireManyAsync(25);

        Assert.Equal(20, granted);
        Assert.False(Limits.IsDegraded);
        Assert.Equal(20, _context.Count("allowed", "redis"));
        Assert.Equal(5, _context.Count("rejected", "redis"));
        Assert.Equal(5, Limits.RejectedLastMinute);
    }

    [Fact]
    public async Task Acquire_WhenTheStoreFails_FallsBackToTheInstanceShare_AndNeverOpensTheGate()
    {
        _context.Store.Failing = true;

        var granted = await AcquireManyAsync(100);

        Assert.Equal(10, granted);
        Assert.True(Limits.IsDegraded);
        Assert.Equal(_context.Time.GetUtcNow(), Limits.DegradedSince);
        Assert.Equal(10, _context.Count("allowed", "local"));
        Assert.Equal(90, _context.Count("rejected", "local"));
    }

    [Fact]
    public async Task Acquire_WhenTheStoreFails_ReportsDegradedOnceInTheLogAndTheGauge()
    {
        _context.Store.Failing = true;

        await AcquireManyAsync(3);
        _context.Degraded.RecordObservableInstruments();

        var degraded = _context.Logger.Collector.GetSnapshot().Where(r => r.Id.Name == "RateLimitingDegraded").ToList();
        Assert.Single(degraded);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, degraded[0].Level);
        Assert.Equal(1, _context.Degraded.LastMeasurement?.Value);
    }

    [Fact]
    public async Task Acquire_WhileDegraded_LeavesTheStoreAloneUntilTheProbeInterval()
    {
        _context.Store.Failing = true;
        await AcquireManyAsync(1);
        var callsWhenDegraded = _context.Store.Calls;

        await AcquireManyAsync(50);
        _context.Time.Advance(TimeSpan.FromSeconds(4.9));
        await AcquireManyAsync(1);

        Assert.Equal(callsWhenDegraded, _context.Store.Calls);

        _context.Time.Advance(TimeSpan.FromSeconds(0.1));
        await AcquireManyAsync(1);
        Assert.Equal(callsWhenDegraded + 1, _context.Store.Calls);
        Assert.True(Limits.IsDegraded);
    }

    [Fact]
    public async Task Acquire_AfterTheProbeInterval_ReturnsToTheStoreWhenItAnswers()
    {
        _context.Store.Failing = true;
        await AcquireManyAsync(1);

        _context.Store.Failing = false;
        _context.Time.Advance(TimeSpan.FromSeconds(5));
        var decision = await Limits.AcquireAsync("test", "s", Twenty, 1, TestContext.Current.CancellationToken);
        _context.Degraded.RecordObservableInstruments();

        Assert.Equal(RateLimitSource.Redis, decision.Source);
        Assert.False(Limits.IsDegraded);
        Assert.Null(Limits.DegradedSince);
        Assert.Equal(0, _context.Degraded.LastMeasurement?.Value);
        Assert.Contains(_context.Logger.Collector.GetSnapshot(), r => r.Id.Name == "RateLimitingRestored");
    }

    [Fact]
    public async Task Probe_WhenDueAndTheStoreAnswers_RecoversWithoutTraffic()
    {
        _context.Store.Failing = true;
        await AcquireManyAsync(1);

        Assert.False(await Limits.ProbeAsync(TestContext.Current.CancellationToken)); // not due yet
        _context.Store.Failing = false;
        Assert.False(await Limits.ProbeAsync(TestContext.Current.CancellationToken));
        _context.Time.Advance(TimeSpan.FromSeconds(5));

        Assert.True(await Limits.ProbeAsync(TestContext.Current.CancellationToken));
        Assert.False(Limits.IsDegraded);
    }

    [Fact]
    public async Task Probe_WhenTheStoreStillFails_StaysDegradedAndWaitsAnotherInterval()
    {
        _context.Store.Failing = true;
        await AcquireManyAsync(1);
        _context.Time.Advance(TimeSpan.FromSeconds(5));

        Assert.False(await Limits.ProbeAsync(TestContext.Current.CancellationToken));
        var calls = _context.Store.Calls;
        await AcquireManyAsync(1);

        Assert.True(Limits.IsDegraded);
        Assert.Equal(calls, _context.Store.Calls);
    }

    [Fact]
    public async Task Acquire_WhenTheCallerCancels_ThrowsInsteadOfFallingBack()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var store = new CancellingStore();
        using var context = new RateLimitingTestContext();
        var limits = new DistributedRateLimits(store, ResiliencePipeline.Empty, new LocalRateLimits(context.Time),
            new StaticOptionsMonitor<DistributedRateLimitingOptions>(context.Options), context.Time,
            new RateLimitingMetrics(context.Metrics, context.Time), context.Logger);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await limits.AcquireAsync("test", "s", Twenty, 1, cancelled.Token));
        Assert.False(limits.IsDegraded);
    }

    [Fact]
    public async Task Pause_RefusesTheScope_EvenAfterRedisFails()
    {
        await Limits.PauseAsync("s", TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        _context.Store.Failing = true;

        var decision = await Limits.AcquireAsync("test", "s", Twenty, 1, TestContext.Current.CancellationToken);

        Assert.False(decision.IsAllowed);
        Assert.Equal(RateLimitSource.Local, decision.Source);
        Assert.Equal(TimeSpan.FromSeconds(30), decision.RetryAfter);
    }

    [Fact]
    public async Task CreateLimiter_LeasesCarryRetryAfterAndTheDecision()
    {
        using var limiter = Limits.CreateLimiter("test", "s", RateLimitRule.Create(1, TimeSpan.FromSeconds(10)));

        using var first = await limiter.AcquireAsync(1, TestContext.Current.CancellationToken);
        using var second = await limiter.AcquireAsync(1, TestContext.Current.CancellationToken);
        using var synchronous = limiter.AttemptAcquire(1);

        Assert.True(first.IsAcquired);
        Assert.False(first.TryGetMetadata(MetadataName.RetryAfter, out _));
        Assert.False(second.IsAcquired);
        Assert.True(second.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(10), retryAfter);
        Assert.True(second.TryGetMetadata(RateLimitMetadata.Decision, out var decision));
        Assert.Equal("test", decision.Policy);
        Assert.False(synchronous.IsAcquired); // never synchronous I/O: callers fall through to AcquireAsync
        Assert.Equal(1, limiter.GetStatistics()!.TotalSuccessfulLeases);
        Assert.Equal(1, limiter.GetStatistics()!.TotalFailedLeases);
    }

    [Fact]
    public async Task CreateLimiter_InAPollyPipeline_RejectsWithRetryAfter()
    {
        using var limiter = Limits.CreateLimiter("test", "polly", RateLimitRule.Create(2, TimeSpan.FromSeconds(4)));
        var pipeline = new ResiliencePipelineBuilder().AddRateLimiter(limiter).Build();
        var calls = 0;

        await pipeline.ExecuteAsync(_ => { calls++; return ValueTask.CompletedTask; }, TestContext.Current.CancellationToken);
        await pipeline.ExecuteAsync(_ => { calls++; return ValueTask.CompletedTask; }, TestContext.Current.CancellationToken);
        var rejected = await Assert.ThrowsAsync<RateLimiterRejectedException>(async () =>
            await pipeline.ExecuteAsync(_ => { calls++; return ValueTask.CompletedTask; }, TestContext.Current.CancellationToken));

        Assert.Equal(2, calls);
        Assert.Equal(TimeSpan.FromSeconds(2), rejected.RetryAfter);
    }

    [Fact]
    public async Task CreatePartitionedLimiter_LimitsEachPartition_AndLetsUnmappedResourcesThrough()
    {
        using var limiter = Limits.CreatePartitionedLimiter<string>(key =>
            key == "free" ? null : new RateLimitTarget("test", "p:" + key, RateLimitRule.Create(1, TimeSpan.FromMinutes(1))));

        Assert.True((await limiter.AcquireAsync("a", 1, TestContext.Current.CancellationToken)).IsAcquired);
        Assert.False((await limiter.AcquireAsync("a", 1, TestContext.Current.CancellationToken)).IsAcquired);
        Assert.True((await limiter.AcquireAsync("b", 1, TestContext.Current.CancellationToken)).IsAcquired);
        Assert.True(limiter.AttemptAcquire("free", 1).IsAcquired);
        Assert.True((await limiter.AcquireAsync("free", 1, TestContext.Current.CancellationToken)).IsAcquired);
    }

    private sealed class CancellingStore : IRateLimitStore
    {
        public Task<StoreAnswer> AcquireAsync(string scope, IReadOnlyList<RateLimitBucket> buckets, int permits, CancellationToken cancellationToken) =>
            Task.FromCanceled<StoreAnswer>(cancellationToken);

        public Task<RedisResult> StartAcquire(string scope, IReadOnlyList<RateLimitBucket> buckets, int permits) =>
            Task.FromCanceled<RedisResult>(new CancellationToken(canceled: true));

        public StoreAnswer ReadAcquire(RedisResult reply) => RedisRateLimitStore.Read(reply);

        public Task PauseAsync(string scope, TimeSpan duration, CancellationToken cancellationToken) => Task.FromCanceled(cancellationToken);

        public Task PingAsync(CancellationToken cancellationToken) => Task.FromCanceled(cancellationToken);
    }
}
