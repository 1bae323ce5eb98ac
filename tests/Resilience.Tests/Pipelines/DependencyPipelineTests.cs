using System.Net;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Classification;
using Messaging.Resilience.Deadlines;
using Messaging.Resilience.Pipelines;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Messaging.Resilience.Tests.Pipelines;

public sealed class DependencyPipelineTests
{
    private static HttpResponseMessage Status(HttpStatusCode code) => new(code);

    private static void NoRetries(DependencyPipelineOptions o)
    {
        o.Retry.MaxRetryAttempts = 0;
        o.Breaker.MinimumThroughput = 4;
        o.Breaker.FailureRatio = 0.5;
        o.Breaker.BreakDuration = TimeSpan.FromSeconds(10);
        o.Breaker.SlowCallThreshold = null;
    }

    [Fact]
    public async Task Breaker_OpensAfterConfiguredFailures_AndNotBefore()
    {
        using var test = new PipelineTestContext(NoRetries);
        var pipeline = test.BuildHttp();
        var calls = 0;

        for (var i = 0; i < 3; i++)
        {
            using var r = await pipeline.ExecuteAsync(_ => { calls++; return ValueTask.FromResult(Status(HttpStatusCode.ServiceUnavailable)); }, TestContext.Current.CancellationToken);
        }

        Assert.Equal(BreakerState.Closed, test.Breakers.GetState("dep"));
        using (await pipeline.ExecuteAsync(_ => { calls++; return ValueTask.FromResult(Status(HttpStatusCode.ServiceUnavailable)); }, TestContext.Current.CancellationToken))
        {
        }

        Assert.Equal(BreakerState.Open, test.Breakers.GetState("dep"));
        await Assert.ThrowsAsync<BrokenCircuitException>(async () =>
            await pipeline.ExecuteAsync(_ => { calls++; return ValueTask.FromResult(Status(HttpStatusCode.OK)); }, TestContext.Current.CancellationToken));
        Assert.Equal(4, calls);
    }

    [Fact]
    public async Task Breaker_HalfOpensAfterTheBreak_AndClosesAfterASuccessfulProbe()
    {
        using var test = new PipelineTestContext(NoRetries);
        var pipeline = test.BuildHttp();
        var changes = new List<BreakerState>();
        test.Breakers.StateChanged += c => changes.Add(c.To);
        for (var i = 0; i < 4; i++)
        {
            using var r = await pipeline.ExecuteAsync(_ => ValueTask.FromResult(Status(HttpStatusCode.InternalServerError)), TestContext.Current.CancellationToken);
        }

        test.Time.Advance(TimeSpan.FromSeconds(9));
        await Assert.ThrowsAsync<BrokenCircuitException>(async () =>
            await pipeline.ExecuteAsync(_ => ValueTask.FromResult(Status(HttpStatusCode.OK)), TestContext.Current.CancellationToken));

        test.Time.Advance(TimeSpan.FromSeconds(2));
        using var probe = await pipeline.ExecuteAsync(_ => ValueTask.FromResult(Status(HttpStatusCode.OK)), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        Assert.Equal([BreakerState.Open, BreakerState.HalfOpen, BreakerState.Closed], changes);
        Assert.Equal(BreakerState.Closed, test.Breakers.Snapshot().Single().State);
    }

    [Fact]
    public async Task Breaker_CountsSlowSuccessesAsFailures()
    {
        using var test = new PipelineTestContext(o =>
        {
            NoRetries(o);
            o.Breaker.SlowCallThreshold = TimeSpan.FromSeconds(2);
        });
        var pipeline = test.BuildHttp();

        for (var i = 0; i < 4; i++)
        {
            using var r = await pipeline.ExecuteAsync(_ =>
            {
                test.Time.Advance(TimeSpan.FromSeconds(3));
                return ValueTask.FromResult(Status(HttpStatusCode.OK));
            }, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        Assert.Equal(BreakerState.Open, test.Breakers.GetState("dep"));
    }

    [Fact]
    public async Task Breaker_CountsASlowAttemptOnce_WhenTheCallerReusesItsContext()
    {
        using var test = new PipelineTestContext(o =>
        {
            NoRetries(o);
            o.Breaker.FailureRatio = 0.6;
            o.Breaker.SlowCallThreshold = TimeSpan.FromSeconds(2);
        });
        var pipeline = test.BuildHttp();
        var context = ResilienceContextPool.Shared.Get(TestContext.Current.CancellationToken);
        try
        {
            // One slow success, two fast ones, then a 503: 2 failures in 4 calls, under the 0.6 ratio.
            // Were the slow mark left on the context, the fast calls would count as slow as well (4 in 4).
            using (await pipeline.ExecuteAsync(_ =>
            {
                test.Time.Advance(TimeSpan.FromSeconds(3));
                return ValueTask.FromResult(Status(HttpStatusCode.OK));
            }, context))
            {
            }

            for (var i = 0; i < 2; i++)
            {
                using var fast = await pipeline.ExecuteAsync(_ => ValueTask.FromResult(Status(HttpStatusCode.OK)), context);
            }

            using var failed = await pipeline.ExecuteAsync(_ => ValueTask.FromResult(Status(HttpStatusCode.ServiceUnavailable)), context);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        Assert.Equal(BreakerState.Closed, test.Breakers.GetState("dep"));
    }

    [Fact]
    public async Task Breaker_DoesNotCountAFastRetry_AsSlow_AfterASlowFailedAttempt()
    {
        using var test = new PipelineTestContext(o =>
        {
            o.Retry.MaxRetryAttempts = 1;
            o.Breaker.MinimumThroughput = 4;
            o.Breaker.FailureRatio = 0.6;
            o.Breaker.SlowCallThreshold = TimeSpan.FromSeconds(2);
        });
        var pipeline = test.BuildHttp();
        var calls = 0;

        // Attempt 1 is slow and a 503 (one failure), its retry is fast and succeeds.
        var execution = pipeline.ExecuteAsync(_ =>
        {
            if (++calls == 1)
            {
                test.Time.Advance(TimeSpan.FromSeconds(3));
                return ValueTask.FromResult(Status(HttpStatusCode.ServiceUnavailable));
            }

            return ValueTask.FromResult(Status(HttpStatusCode.OK));
        }, TestContext.Current.CancellationToken).AsTask();
        test.Time.Advance(TimeSpan.FromSeconds(1));
        using (var retried = await execution)
        {
            Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        }

        using (await pipeline.ExecuteAsync(_ => ValueTask.FromResult(Status(HttpStatusCode.OK)), TestContext.Current.CancellationToken))
        {
        }

        // A slow success: the fourth attempt and the second failure, 2 in 4 (3 in 4 had the retry been counted slow).
        using (await pipeline.ExecuteAsync(_ =>
        {
            test.Time.Advance(TimeSpan.FromSeconds(3));
            return ValueTask.FromResult(Status(HttpStatusCode.OK));
        }, TestContext.Current.CancellationToken))
        {
        }

        Assert.Equal(2, calls);
        Assert.Equal(BreakerState.Closed, test.Breakers.GetState("dep"));
    }

    [Fact]
    public async Task Breaker_IgnoresRefusals_LikeA402()
    {
        using var test = new PipelineTestContext(NoRetries);
        var pipeline = test.BuildHttp();

        for (var i = 0; i < 10; i++)
        {
            using var r = await pipeline.ExecuteAsync(_ => ValueTask.FromResult(Status(HttpStatusCode.PaymentRequired)), TestContext.Current.CancellationToken);
        }

        Assert.Equal(BreakerState.Closed, test.Breakers.GetState("dep"));
    }

    [Fact]
    public async Task Isolate_RejectsCallsUntilReset()
    {
        using var test = new PipelineTestContext(NoRetries);
        var pipeline = test.BuildHttp();

        Assert.True(await test.Breakers.IsolateAsync("dep", TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<IsolatedCircuitException>(async () =>
            await pipeline.ExecuteAsync(_ => ValueTask.FromResult(Status(HttpStatusCode.OK)), TestContext.Current.CancellationToken));
        Assert.Equal(BreakerState.Isolated, test.Breakers.GetState("dep"));

        Assert.True(await test.Breakers.ResetAsync("dep", TestContext.Current.CancellationToken));
        using var ok = await pipeline.ExecuteAsync(_ => ValueTask.FromResult(Status(HttpStatusCode.OK)), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.False(await test.Breakers.IsolateAsync("unknown", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Retry_ObeysRetryAfter()
    {
        using var test = new PipelineTestContext(o => o.Retry.MaxRetryAttempts = 1);
        var pipeline = test.BuildHttp();
        var calls = 0;

        var execution = pipeline.ExecuteAsync(_ =>
        {
            calls++;
            var response = Status(calls == 1 ? HttpStatusCode.TooManyRequests : HttpStatusCode.OK);
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(3));
            return ValueTask.FromResult(response);
        }, TestContext.Current.CancellationToken).AsTask();

        test.Time.Advance(TimeSpan.FromSeconds(2.9));
        Assert.Equal(1, calls);
        test.Time.Advance(TimeSpan.FromSeconds(0.2));
        using var result = await execution;
        Assert.Equal(2, calls);
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
    }

    [Fact]
    public async Task Retry_DoesNotWaitHere_ForARetryAfterLongerThanTheConfiguredMaximum()
    {
        using var test = new PipelineTestContext(o => o.Retry.MaxRetryAfter = TimeSpan.FromSeconds(5));
        var pipeline = test.BuildHttp();
        var calls = 0;

        using var result = await pipeline.ExecuteAsync(_ =>
        {
            calls++;
            var response = Status(HttpStatusCode.TooManyRequests);
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromMinutes(1));
            return ValueTask.FromResult(response);
        }, TestContext.Current.CancellationToken);

        Assert.Equal(1, calls);
        Assert.Equal(HttpStatusCode.TooManyRequests, result.StatusCode);
    }

    [Fact]
    public async Task Retry_NeverRetriesRefusals()
    {
        using var test = new PipelineTestContext();
        var pipeline = test.BuildHttp();
        var calls = 0;

        using var result = await pipeline.ExecuteAsync(_ => { calls++; return ValueTask.FromResult(Status(HttpStatusCode.BadRequest)); }, TestContext.Current.CancellationToken);

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task RetryBudget_CapsRetriesAcrossCalls()
    {
        using var test = new PipelineTestContext(o =>
        {
            o.Retry.MaxRetryAttempts = 3;
            o.Retry.BaseDelay = TimeSpan.Zero;
            o.Retry.MaxDelay = TimeSpan.Zero;
            o.RetryBudget.RetryRatio = 0;
            o.RetryBudget.MinRetriesPerSecond = 1;
            o.RetryBudget.Window = TimeSpan.FromSeconds(2);
            o.Breaker.MinimumThroughput = 1000;
        });
        var pipeline = test.BuildHttp();
        var calls = 0;

        for (var i = 0; i < 5; i++)
        {
            using var r = await pipeline.ExecuteAsync(_ => { calls++; return ValueTask.FromResult(Status(HttpStatusCode.BadGateway)); }, TestContext.Current.CancellationToken);
        }

        // Five calls plus the floor of one retry per second over a two-second window.
        Assert.Equal(5 + 2, calls);
        Assert.Equal((5L, 2L), test.Budget.Snapshot());
    }

    [Fact]
    public async Task Deadline_ShrinksTheAttemptTimeout()
    {
        using var test = new PipelineTestContext(o =>
        {
            o.Retry.MaxRetryAttempts = 0;
            o.AttemptTimeout = TimeSpan.FromSeconds(30);
        });
        var pipeline = test.BuildHttp();
        var context = ResilienceContextPool.Shared.Get(TestContext.Current.CancellationToken);
        context.Properties.Set(Deadline.PropertyKey, new Deadline(test.Time.GetUtcNow().AddSeconds(2)));

        var execution = pipeline.ExecuteAsync(async (ctx, _) =>
        {
            await Task.Delay(TimeSpan.FromMinutes(1), test.Time, ctx.CancellationToken);
            return Status(HttpStatusCode.OK);
        }, context, 0).AsTask();
        test.Time.Advance(TimeSpan.FromSeconds(2.1));

        await Assert.ThrowsAsync<TimeoutRejectedException>(() => execution);
        ResilienceContextPool.Shared.Return(context);
    }

    [Theory]
    [InlineData(0, 1.0, 200)]
    [InlineData(1, 1.0, 400)]
    [InlineData(5, 1.0, 5000)]
    [InlineData(1, 0.0, 200)]
    public void Backoff_IsExponential_Capped_AndJitteredWithinBounds(int attempt, double random, double expectedMs)
    {
        var settings = new DependencyPipelineOptions.RetrySettings { BaseDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(5) };

        Assert.Equal(expectedMs, DependencyPipelineBuilderExtensions.Backoff(settings, attempt, random).TotalMilliseconds, 3);
        for (var i = 0; i < 1000; i++)
        {
            var delay = DependencyPipelineBuilderExtensions.Backoff(settings, attempt, Random.Shared.NextDouble()).TotalMilliseconds;
            var cap = Math.Min(200 * Math.Pow(2, attempt), 5000);
            Assert.InRange(delay, cap / 2, cap);
        }
    }

    [Fact]
    public async Task UntypedPipeline_RetriesTransientPostgresErrors_ButNotConstraintViolations()
    {
        using var test = new PipelineTestContext(o => { o.Retry.BaseDelay = TimeSpan.Zero; o.Retry.MaxDelay = TimeSpan.Zero; }, TransientFailures.Postgres);
        var pipeline = test.Build();
        var calls = 0;

        await Assert.ThrowsAsync<TimeoutException>(async () =>
            await pipeline.ExecuteAsync(_ => { calls++; throw new TimeoutException(); }, TestContext.Current.CancellationToken));
        Assert.Equal(4, calls);

        calls = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await pipeline.ExecuteAsync(_ => { calls++; throw new InvalidOperationException(); }, TestContext.Current.CancellationToken));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task TimeoutsCausedByTheCommandsDeadline_DoNotCountAgainstTheBreaker()
    {
        using var test = new PipelineTestContext(o =>
        {
            NoRetries(o);
            o.AttemptTimeout = TimeSpan.FromSeconds(30);
        });
        var pipeline = test.BuildHttp();

        for (var i = 0; i < 6; i++)
        {
            var context = ResilienceContextPool.Shared.Get(TestContext.Current.CancellationToken);
            context.Properties.Set(Deadline.PropertyKey, new Deadline(test.Time.GetUtcNow().AddSeconds(1)));
            var execution = pipeline.ExecuteAsync(async (ctx, _) =>
            {
                await Task.Delay(TimeSpan.FromMinutes(1), test.Time, ctx.CancellationToken);
                return Status(HttpStatusCode.OK);
            }, context, 0).AsTask();
            test.Time.Advance(TimeSpan.FromSeconds(1.1));
            await Assert.ThrowsAsync<TimeoutRejectedException>(() => execution);
            ResilienceContextPool.Shared.Return(context);
        }

        Assert.Equal(BreakerState.Closed, test.Breakers.GetState("dep"));
    }
}
