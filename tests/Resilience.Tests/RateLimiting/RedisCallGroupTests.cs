using Messaging.Resilience.Breakers;
using Messaging.Resilience.RateLimiting;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using StackExchange.Redis;

namespace Messaging.Resilience.Tests.RateLimiting;

/// <summary>
/// Decisions are sent to Redis at once and watched in groups by one execution of the redis pipeline: the
/// pipeline's timeout still sends a slow Redis's callers to the local fallback, and its breaker still keeps them
/// away from Redis while open.
/// </summary>
public sealed class RedisCallGroupTests : IDisposable
{
    private static readonly RateLimitRule Twenty = RateLimitRule.Create(20, TimeSpan.FromHours(1));
    private readonly RateLimitingTestContext _context = new(instanceShare: 0.5, probeInterval: TimeSpan.FromSeconds(5));
    private readonly PendingStore _store = new();
    private readonly CountingStrategy _executions = new();

    public void Dispose()
    {
        _executions.Finished.Dispose();
        _context.Dispose();
    }

    private DistributedRateLimits Create(ResiliencePipeline pipeline, BreakerRegistry? breakers = null) =>
        new(_store, pipeline, new LocalRateLimits(_context.Time),
            new StaticOptionsMonitor<DistributedRateLimitingOptions>(_context.Options), _context.Time,
            new RateLimitingMetrics(_context.Metrics, _context.Time), _context.Logger, breakers);

    private ResiliencePipeline Pipeline(TimeSpan? timeout = null)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = _context.Time };
        if (timeout is { } limit)
        {
            builder.AddTimeout(limit);
        }

        return builder.AddStrategy(_ => _executions, new CountingOptions()).Build();
    }

    private ValueTask<RateLimitDecision> AcquireAsync(DistributedRateLimits limits, string scope = "s") =>
        limits.AcquireAsync("test", scope, Twenty, 1, TestContext.Current.CancellationToken);

    [Fact]
    public async Task Acquire_WhileEarlierCallsAreUnanswered_SharesOnePipelineExecution()
    {
        var limits = Create(Pipeline());

        var decisions = new[] { AcquireAsync(limits, "a"), AcquireAsync(limits, "b"), AcquireAsync(limits, "c") };
        _store.AnswerAll();

        foreach (var decision in decisions)
        {
            var answered = await decision;
            Assert.True(answered.IsAllowed);
            Assert.Equal(RateLimitSource.Redis, answered.Source);
        }

        Assert.Equal(3, _store.Started);
        Assert.Equal(1, _executions.Count);
        Assert.Equal(3, _context.Count("allowed", "redis"));
    }

    [Fact]
    public async Task Acquire_AfterTheGroupsFirstCallWasAnswered_StartsTheNextGroup()
    {
        var limits = Create(Pipeline());
        var first = AcquireAsync(limits, "a");
        _store.AnswerAll();
        await first;
        Assert.True(await _executions.Finished.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));

        var second = AcquireAsync(limits, "b");
        _store.AnswerAll();
        await second;

        Assert.Equal(2, _executions.Count);
    }

    [Fact]
    public async Task Acquire_WhenRedisDoesNotAnswerWithinThePipelinesTimeout_DecidesLocallyAndReportsDegraded()
    {
        var limits = Create(Pipeline(TimeSpan.FromMilliseconds(250)));
        var decisions = new[] { AcquireAsync(limits, "a").AsTask(), AcquireAsync(limits, "b").AsTask() };
        Assert.All(decisions, d => Assert.False(d.IsCompleted));

        _context.Time.Advance(TimeSpan.FromMilliseconds(250));

        foreach (var decision in decisions)
        {
            Assert.Equal(RateLimitSource.Local, (await decision.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken)).Source);
        }

        Assert.True(limits.IsDegraded);
        Assert.Equal(2, _context.Count("allowed", "local"));
        Assert.Contains(_context.Logger.Collector.GetSnapshot(), r => r.Id.Name == "RateLimitingDegraded" && r.Message.Contains("TimeoutRejectedException", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Acquire_WhenOneCallOfTheGroupFails_SendsTheWaitingCallersToTheLocalFallback()
    {
        var limits = Create(Pipeline());
        var failing = AcquireAsync(limits, "a");
        var waiting = AcquireAsync(limits, "b");

#pragma warning disable CS0618 // The simplest constructors are enough for a failed reply.
        _store.Fail(0, new RedisConnectionException(ConnectionFailureType.SocketClosed, "test: connection lost"));
#pragma warning restore CS0618

        Assert.Equal(RateLimitSource.Local, (await failing).Source);
        Assert.Equal(RateLimitSource.Local, (await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken)).Source);
        Assert.True(limits.IsDegraded);
    }

    [Fact]
    public async Task Acquire_WhenRedisForgotTheScript_DecidesThroughThePipelineWhichLoadsIt()
    {
        var limits = Create(Pipeline());
        var decision = AcquireAsync(limits);

#pragma warning disable CS0618 // The simplest constructors are enough for a failed reply.
        _store.Fail(0, new RedisServerException("NOSCRIPT No matching script. Please use EVAL."));
#pragma warning restore CS0618

        Assert.Equal(RateLimitSource.Redis, (await decision).Source);
        Assert.Equal(1, _store.AcquiredThroughPipeline);
        Assert.False(limits.IsDegraded);
    }

    [Fact]
    public async Task Acquire_WhileTheRedisBreakerIsIsolated_LeavesRedisAloneAndDecidesLocally()
    {
        var breakers = new BreakerRegistry(_context.Metrics, _context.Time, NullLogger<BreakerRegistry>.Instance);
        var options = new CircuitBreakerStrategyOptions();
        breakers.Attach(DependencyNames.Redis, options);
        var limits = Create(new ResiliencePipelineBuilder { TimeProvider = _context.Time }.AddCircuitBreaker(options).Build(), breakers);
        await breakers.IsolateAsync(DependencyNames.Redis, TestContext.Current.CancellationToken);

        var decision = await AcquireAsync(limits);

        Assert.Equal(RateLimitSource.Local, decision.Source);
        Assert.True(limits.IsDegraded);
        Assert.Equal(0, _store.Started);
        Assert.Equal(0, _store.AcquiredThroughPipeline);
    }

    /// <summary>A store whose replies the test gives (or withholds).</summary>
    private sealed class PendingStore : IRateLimitStore
    {
        private readonly List<TaskCompletionSource<RedisResult>> _pending = [];

        public int Started => _pending.Count;

        public int AcquiredThroughPipeline { get; private set; }

        public Task<RedisResult> StartAcquire(string scope, IReadOnlyList<RateLimitBucket> buckets, int permits)
        {
            var reply = new TaskCompletionSource<RedisResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending.Add(reply);
            return reply.Task;
        }

        public StoreAnswer ReadAcquire(RedisResult reply) => RedisRateLimitStore.Read(reply);

        /// <summary>Every pending call is answered "allowed, 19 left".</summary>
        public void AnswerAll()
        {
            foreach (var reply in _pending)
            {
                reply.TrySetResult(RedisResult.Create([1, 0, 19, 0, 1]));
            }
        }

        public void Fail(int index, Exception error) => _pending[index].SetException(error);

        public Task<StoreAnswer> AcquireAsync(string scope, IReadOnlyList<RateLimitBucket> buckets, int permits, CancellationToken cancellationToken)
        {
            AcquiredThroughPipeline++;
            return Task.FromResult(new StoreAnswer(true, TimeSpan.Zero, 19, TimeSpan.Zero, 0));
        }

        public Task PauseAsync(string scope, TimeSpan duration, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task PingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Counts the pipeline's executions, and signals each one's end.</summary>
    private sealed class CountingStrategy : ResilienceStrategy
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public SemaphoreSlim Finished { get; } = new(0);

        protected override async ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
            Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
        {
            Interlocked.Increment(ref _count);
            try
            {
                return await callback(context, state).ConfigureAwait(false);
            }
            finally
            {
                Finished.Release();
            }
        }
    }

    private sealed class CountingOptions : ResilienceStrategyOptions;
}
