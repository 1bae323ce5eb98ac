using System.Net;
using Messaging.Resilience.Deadlines;
using Messaging.Resilience.Pipelines;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Polly;
using Polly.Telemetry;
using Polly.Timeout;

namespace Messaging.Resilience.Tests.Pipelines;

/// <summary>
/// The attempt layer of the dependency pipeline: Polly's timeout behaviour (deadline-bounded, on the
/// injected clock) and slow-call detection in one strategy of ours.
/// </summary>
public sealed class AttemptTimeoutStrategyTests
{
    private static HttpResponseMessage Status(HttpStatusCode code) => new(code);

    private static void NoRetries(DependencyPipelineOptions o)
    {
        o.Retry.MaxRetryAttempts = 0;
        o.AttemptTimeout = TimeSpan.FromSeconds(5);
        o.TotalTimeout = TimeSpan.FromSeconds(30);
        o.Breaker.SlowCallThreshold = TimeSpan.FromSeconds(2);
    }

    private static async ValueTask<HttpResponseMessage> Hang(CancellationToken cancellationToken, PipelineTestContext test)
    {
        await Task.Delay(TimeSpan.FromMinutes(10), test.Time, cancellationToken);
        return Status(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AnAttempt_TimesOutAtItsLimit_WithPollysTimeoutRejectedException_AndReportsIt()
    {
        using var test = new PipelineTestContext(NoRetries);
        using var timeouts = new MetricCollector<long>(test.Metrics.Meter, "messaging.resilience.timeouts");
        var events = new RecordingListener();
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = test.Time, TelemetryListener = events, Name = "dep" }
            .AddDependencyStrategies(test.Dependency).Build();

        var execution = pipeline.ExecuteAsync(ct => Hang(ct, test), TestContext.Current.CancellationToken).AsTask();
        test.Time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(execution.IsCompleted);
        test.Time.Advance(TimeSpan.FromSeconds(0.2));

        var timeout = await Assert.ThrowsAsync<TimeoutRejectedException>(() => execution);
        Assert.Equal(TimeSpan.FromSeconds(5), timeout.Timeout);
        Assert.IsAssignableFrom<OperationCanceledException>(timeout.InnerException);
        Assert.Equal("AttemptTimeout", timeout.TelemetrySource?.StrategyName);
        var measurement = Assert.Single(timeouts.GetMeasurementSnapshot());
        Assert.Equal("attempt", measurement.Tags["messaging.resilience.timeout.kind"]);
        Assert.Equal("dep", measurement.Tags["messaging.resilience.dependency"]);
        Assert.Contains(events.Events, e => e is ("OnTimeout", "AttemptTimeout"));
    }

    [Fact]
    public async Task ATimedOutAttempt_IsRetried_AsATransientFailure()
    {
        using var test = new PipelineTestContext(o =>
        {
            NoRetries(o);
            o.Retry.MaxRetryAttempts = 1;
            o.Retry.BaseDelay = TimeSpan.Zero;
            o.Retry.MaxDelay = TimeSpan.Zero;
        });
        var pipeline = test.BuildHttp();
        var calls = 0;

        var execution = pipeline.ExecuteAsync(ct => ++calls == 1 ? Hang(ct, test) : ValueTask.FromResult(Status(HttpStatusCode.OK)),
            TestContext.Current.CancellationToken).AsTask();
        test.Time.Advance(TimeSpan.FromSeconds(5.1));

        using var result = await execution;
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task ADeadlineSoonerThanTheAttemptTimeout_Wins()
    {
        using var test = new PipelineTestContext(NoRetries);
        var pipeline = test.BuildHttp();
        var context = ResilienceContextPool.Shared.Get(TestContext.Current.CancellationToken);
        context.Properties.Set(Deadline.PropertyKey, new Deadline(test.Time.GetUtcNow().AddSeconds(2)));

        var execution = pipeline.ExecuteAsync((ctx, t) => Hang(ctx.CancellationToken, t), context, test).AsTask();
        test.Time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.False(execution.IsCompleted);
        test.Time.Advance(TimeSpan.FromSeconds(0.2));

        var timeout = await Assert.ThrowsAsync<TimeoutRejectedException>(() => execution);
        Assert.Equal(TimeSpan.FromSeconds(2), timeout.Timeout);
        ResilienceContextPool.Shared.Return(context);
    }

    [Fact]
    public async Task ASlowAttempt_IsMarked_AndTheMarkIsTakenOnce()
    {
        using var test = new PipelineTestContext(NoRetries);
        using var slowCalls = new MetricCollector<long>(test.Metrics.Meter, "messaging.resilience.slow_calls");
        var pipeline = AttemptLayerOnly(test);
        var context = ResilienceContextPool.Shared.Get(TestContext.Current.CancellationToken);
        try
        {
            await pipeline.ExecuteAsync((_, t) =>
            {
                t.Time.Advance(TimeSpan.FromSeconds(3));
                return ValueTask.FromResult(Status(HttpStatusCode.OK));
            }, context, test);

            Assert.True(AttemptTimeoutStrategy.TakeSlow(context));
            Assert.False(AttemptTimeoutStrategy.TakeSlow(context));

            await pipeline.ExecuteAsync((_, t) =>
            {
                t.Time.Advance(TimeSpan.FromSeconds(1));
                return ValueTask.FromResult(Status(HttpStatusCode.OK));
            }, context, test);

            Assert.False(AttemptTimeoutStrategy.TakeSlow(context));
            Assert.Equal(1, Assert.Single(slowCalls.GetMeasurementSnapshot()).Value);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    [Fact]
    public async Task AFastAttempt_LeavesNoMarkOnTheContext()
    {
        using var test = new PipelineTestContext(NoRetries);
        var pipeline = AttemptLayerOnly(test);
        var context = ResilienceContextPool.Shared.Get(TestContext.Current.CancellationToken);
        try
        {
            using var response = await pipeline.ExecuteAsync(static (_, _) => ValueTask.FromResult(Status(HttpStatusCode.OK)), context, 0);

            Assert.False(context.Properties.TryGetValue(AttemptTimeoutStrategy.SlowCallKey, out _));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    [Fact]
    public async Task WithoutASlowCallThreshold_SlowAttemptsAreNotMarked()
    {
        using var test = new PipelineTestContext(o =>
        {
            NoRetries(o);
            o.Breaker.SlowCallThreshold = null;
        });
        var pipeline = AttemptLayerOnly(test);
        var context = ResilienceContextPool.Shared.Get(TestContext.Current.CancellationToken);
        try
        {
            using var response = await pipeline.ExecuteAsync((_, t) =>
            {
                t.Time.Advance(TimeSpan.FromSeconds(3));
                return ValueTask.FromResult(Status(HttpStatusCode.OK));
            }, context, test);

            Assert.False(AttemptTimeoutStrategy.TakeSlow(context));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    [Fact]
    public async Task TheCallerCancelling_IsNotATimeout()
    {
        using var test = new PipelineTestContext(NoRetries);
        using var timeouts = new MetricCollector<long>(test.Metrics.Meter, "messaging.resilience.timeouts");
        var pipeline = test.BuildHttp();
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var execution = pipeline.ExecuteAsync(ct => Hang(ct, test), caller.Token).AsTask();
        test.Time.Advance(TimeSpan.FromSeconds(1));
        await caller.CancelAsync();

        var canceled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => execution);
        Assert.IsNotType<TimeoutRejectedException>(canceled);
        Assert.Equal(caller.Token, canceled.CancellationToken);
        Assert.Empty(timeouts.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task TheAttempt_SeesItsOwnToken_AndTheCallerGetsItsTokenBack()
    {
        using var test = new PipelineTestContext(NoRetries);
        var pipeline = AttemptLayerOnly(test);
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var context = ResilienceContextPool.Shared.Get(caller.Token);
        try
        {
            var seen = CancellationToken.None;
            using var response = await pipeline.ExecuteAsync((ctx, _) =>
            {
                seen = ctx.CancellationToken;
                return ValueTask.FromResult(Status(HttpStatusCode.OK));
            }, context, 0);

            Assert.NotEqual(caller.Token, seen);
            Assert.True(seen.CanBeCanceled);
            Assert.Equal(caller.Token, context.CancellationToken);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    [Fact]
    public async Task TheSuccessPath_AllocatesNothing()
    {
        // The system clock, as in production (the fake clock's timers allocate by design).
        using var test = new PipelineTestContext(NoRetries);
        var pipeline = new ResiliencePipelineBuilder().AddStrategy(
            ctx => new AttemptTimeoutStrategy("dep", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2), TimeProvider.System, test.Metrics, ctx.Telemetry))
            .Build();
        var context = ResilienceContextPool.Shared.Get(TestContext.Current.CancellationToken);
        context.Properties.Set(Deadline.PropertyKey, new Deadline(TimeProvider.System.GetUtcNow().AddHours(1)));
        try
        {
            for (var i = 0; i < 100; i++)
            {
                await pipeline.ExecuteAsync(static (_, s) => ValueTask.FromResult(s), context, 42);
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            const int Calls = 10_000;
            for (var i = 0; i < Calls; i++)
            {
                // Completes synchronously: no await, so every call runs on this thread.
                var call = pipeline.ExecuteAsync(static (_, s) => ValueTask.FromResult(s), context, 42);
                Assert.True(call.IsCompletedSuccessfully);
            }

            // Under a byte per call: nothing allocated per call (a one-off allocation by the runtime may show).
            Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, Calls - 1);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static ResiliencePipeline<HttpResponseMessage> AttemptLayerOnly(PipelineTestContext test) =>
        new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = test.Time }.AddStrategy(
            context => new AttemptTimeoutStrategy(test.Dependency.Name, test.Options.AttemptTimeout, test.Options.Breaker.SlowCallThreshold,
                test.Time, test.Metrics, context.Telemetry)).Build();

    private sealed class RecordingListener : TelemetryListener
    {
        public List<(string Event, string? Strategy)> Events { get; } = [];

        public override void Write<TResult, TArgs>(in TelemetryEventArguments<TResult, TArgs> args)
        {
            lock (Events)
            {
                Events.Add((args.Event.EventName, args.Source.StrategyName));
            }
        }
    }
}
