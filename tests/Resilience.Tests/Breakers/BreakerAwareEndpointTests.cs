using System.Net;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Tests.Pipelines;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;

namespace Messaging.Resilience.Tests.Breakers;

public sealed class BreakerAwareEndpointTests : IDisposable
{
    private readonly PipelineTestContext _test = new(o =>
    {
        o.Retry.MaxRetryAttempts = 0;
        o.Breaker.MinimumThroughput = 2;
        o.Breaker.FailureRatio = 0.5;
        o.Breaker.BreakDuration = TimeSpan.FromSeconds(10);
        o.Breaker.SlowCallThreshold = null;
    });

    private readonly RecordingSwitch _switch = new();
    private readonly BreakerAwareEndpoint _endpoint;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public BreakerAwareEndpointTests()
    {
        _pipeline = _test.BuildHttp();
        _endpoint = new BreakerAwareEndpoint("payments.charge", ["dep", "postgres"], _test.Breakers,
            new BreakerAwareEndpointOptions { ConcurrencyLimit = 8, RampStepInterval = TimeSpan.FromSeconds(2) },
            _test.Time, NullLogger.Instance);
        _endpoint.Attach(_switch);
    }

    private async Task CallAsync(HttpStatusCode status)
    {
        try
        {
            using var response = await _pipeline.ExecuteAsync(_ => ValueTask.FromResult(new HttpResponseMessage(status)), TestContext.Current.CancellationToken);
        }
        catch (BrokenCircuitException)
        {
            // Rejected while open.
        }
    }

    private async Task OpenBreakerAsync()
    {
        await CallAsync(HttpStatusCode.ServiceUnavailable);
        await CallAsync(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task WhenADependencysBreakerOpens_TheEndpointPauses_AndStopsTakingMessages()
    {
        Assert.Equal(EndpointFlowState.Running, _endpoint.State);
        Assert.Equal(8, _endpoint.CurrentLimit);

        await OpenBreakerAsync();

        Assert.Equal(EndpointFlowState.Paused, _endpoint.State);
        Assert.Equal("dep", _endpoint.PausedBy);
        Assert.Equal(0, _endpoint.CurrentLimit);
        Assert.Equal(["stop"], _switch.Actions);
    }

    [Fact]
    public async Task AfterTheBreak_ExactlyOneProbeMessageIsAdmitted()
    {
        await OpenBreakerAsync();
        _test.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(EndpointFlowState.Paused, _endpoint.State);

        _test.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(EndpointFlowState.Probing, _endpoint.State);
        Assert.Equal(["stop", "start"], _switch.Actions);
        using var probe = await _endpoint.EnterAsync(TestContext.Current.CancellationToken);
        var second = _endpoint.EnterAsync(TestContext.Current.CancellationToken);
        Assert.False(second.IsCompleted);
    }

    [Fact]
    public async Task ASuccessfulProbe_RampsTheConcurrencyBackUpStepByStep()
    {
        await OpenBreakerAsync();
        _test.Time.Advance(TimeSpan.FromSeconds(10));

        await CallAsync(HttpStatusCode.OK);

        Assert.Equal(EndpointFlowState.Ramping, _endpoint.State);
        var limits = new List<int> { _endpoint.CurrentLimit };
        for (var i = 0; i < 3; i++)
        {
            _test.Time.Advance(TimeSpan.FromSeconds(2));
            limits.Add(_endpoint.CurrentLimit);
        }

        Assert.Equal([1, 2, 4, 8], limits);
        Assert.Equal(EndpointFlowState.Running, _endpoint.State);
    }

    [Fact]
    public async Task AFailedProbe_PausesAgain()
    {
        await OpenBreakerAsync();
        _test.Time.Advance(TimeSpan.FromSeconds(10));

        await CallAsync(HttpStatusCode.ServiceUnavailable);

        Assert.Equal(EndpointFlowState.Paused, _endpoint.State);
        Assert.Equal(["stop", "start", "stop"], _switch.Actions);
        _test.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(EndpointFlowState.Probing, _endpoint.State);
    }

    [Fact]
    public async Task MessagesWaitingForASlot_AreLetThroughWhenPausing_SoTheyMeetTheOpenBreakerAndGoBack()
    {
        var endpoint = new BreakerAwareEndpoint("narrow", ["dep"], _test.Breakers,
            new BreakerAwareEndpointOptions { ConcurrencyLimit = 1 }, _test.Time, NullLogger.Instance);
        using var busy = await endpoint.EnterAsync(TestContext.Current.CancellationToken);
        var waiting = endpoint.EnterAsync(TestContext.Current.CancellationToken);
        Assert.False(waiting.IsCompleted);

        await OpenBreakerAsync();

        using var admitted = await waiting;
        Assert.Equal(EndpointFlowState.Paused, endpoint.State);
        endpoint.Dispose();
    }

    [Fact]
    public async Task AnIsolatedDependency_KeepsTheEndpointPausedUntilReset()
    {
        await _test.Breakers.IsolateAsync("dep", TestContext.Current.CancellationToken);
        Assert.Equal(EndpointFlowState.Paused, _endpoint.State);

        _test.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(EndpointFlowState.Paused, _endpoint.State);

        await _test.Breakers.ResetAsync("dep", TestContext.Current.CancellationToken);
        Assert.Equal(EndpointFlowState.Ramping, _endpoint.State);
    }

    [Fact]
    public async Task BreakersOfOtherDependencies_AreIgnored()
    {
        var endpoint = new BreakerAwareEndpoint("notifications.send", ["notifications"], _test.Breakers,
            new BreakerAwareEndpointOptions(), _test.Time, NullLogger.Instance);

        await OpenBreakerAsync();

        Assert.Equal(EndpointFlowState.Running, endpoint.State);
        endpoint.Dispose();
    }

    [Fact]
    public async Task WithFailover_TheEndpointPausesOnlyWhenEveryEndpointOfTheProviderIsOpen()
    {
        var primary = _test.BuildHttp("provider@primary");
        var secondary = _test.BuildHttp("provider@secondary");
        var endpoint = new BreakerAwareEndpoint("provider.endpoint", ["provider"], _test.Breakers,
            new BreakerAwareEndpointOptions(), _test.Time, NullLogger.Instance);

        await FailTwiceAsync(primary);
        Assert.Equal(EndpointFlowState.Running, endpoint.State);

        await FailTwiceAsync(secondary);
        Assert.Equal(EndpointFlowState.Paused, endpoint.State);
        Assert.Equal("provider", endpoint.PausedBy);
        endpoint.Dispose();

        static async Task FailTwiceAsync(ResiliencePipeline<HttpResponseMessage> pipeline)
        {
            for (var i = 0; i < 2; i++)
            {
                using var response = await pipeline.ExecuteAsync(_ => ValueTask.FromResult(new HttpResponseMessage(HttpStatusCode.BadGateway)), TestContext.Current.CancellationToken);
            }
        }
    }

    [Fact]
    public async Task WithFailover_AnEndpointWhoseBreakerNeverChangedState_KeepsTheEndpointRunning()
    {
        // The endpoint exists before the pipelines (as in the workers, where they are built on first use).
        var endpoint = new BreakerAwareEndpoint("standby.endpoint", ["standby"], _test.Breakers,
            new BreakerAwareEndpointOptions(), _test.Time, NullLogger.Instance);
        var primary = _test.BuildHttp("standby@primary");
        _test.BuildHttp("standby@secondary");

        for (var i = 0; i < 2; i++)
        {
            using var response = await primary.ExecuteAsync(_ => ValueTask.FromResult(new HttpResponseMessage(HttpStatusCode.BadGateway)), TestContext.Current.CancellationToken);
        }

        Assert.Equal(BreakerState.Open, _test.Breakers.GetState("standby@primary"));
        Assert.Equal(EndpointFlowState.Running, endpoint.State);
        endpoint.Dispose();
    }

    [Theory]
    [InlineData("payments@127.0.0.1:5091", "payments")]
    [InlineData("postgres", "postgres")]
    public void DependencyOf_StripsTheEndpoint(string breaker, string dependency) =>
        Assert.Equal(dependency, BreakerAwareEndpoint.DependencyOf(breaker));

    [Fact]
    public async Task Gate_LoweringTheLimit_HoldsBackNewEntriesOnly()
    {
        var gate = new ConcurrencyGate(2);
        using var a = await gate.EnterAsync(TestContext.Current.CancellationToken);
        using var b = await gate.EnterAsync(TestContext.Current.CancellationToken);
        gate.SetLimit(1);
        var c = gate.EnterAsync(TestContext.Current.CancellationToken);

        a.Dispose();
        Assert.False(c.IsCompleted);
        b.Dispose();
        using var admitted = await c;
        Assert.Equal(1, gate.InUse);
    }

    public void Dispose()
    {
        _endpoint.Dispose();
        _test.Dispose();
    }

    private sealed class RecordingSwitch : IEndpointSwitch
    {
        public List<string> Actions { get; } = [];

        public Task StopAsync()
        {
            lock (Actions)
            {
                Actions.Add("stop");
            }

            return Task.CompletedTask;
        }

        public Task StartAsync()
        {
            lock (Actions)
            {
                Actions.Add("start");
            }

            return Task.CompletedTask;
        }
    }
}
