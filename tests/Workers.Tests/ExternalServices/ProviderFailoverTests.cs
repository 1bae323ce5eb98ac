using Messaging.Contracts.Payments;
using Messaging.Resilience.Breakers;
using Messaging.CommandTypes.Providers;
using Messaging.CommandTypes.Notifications;
using Messaging.CommandTypes.Payments;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Messaging.Workers.Tests.ExternalServices;

/// <summary>
/// Payments with two endpoints on two WireMock servers (the primary also serves tokens): failover, a
/// breaker per endpoint, deadlines, refusals and configuration reloads, through the client as the host wires it.
/// </summary>
public sealed class ProviderFailoverTests : IDisposable
{
    private readonly ProviderStub _primary = new();
    private readonly ProviderStub _secondary = new();
    private readonly List<ExternalServicesHost> _hosts = [];

    public ProviderFailoverTests()
    {
        _primary.WithToken();
    }

    private static ChargePayment Charge() => new()
    {
        CommandId = Guid.NewGuid(),
        Tenant = "tenant-a",
        Amount = 9.99m,
        Currency = "EUR",
        CustomerId = "cus_9",
    };

    [Fact]
    public async Task Charge_WhenPrimaryAnswers503_SucceedsThroughSecondaryWithTheSameIdempotencyKeyAndOneEffect()
    {
        _primary.AnswerAll(ProviderStub.ChargesPath, 503);
        _secondary.WithChargesCreated();
        var payments = Host().Get<ChargeHandlerCall>();
        var command = Charge();

        var outcome = await payments.ChargeAsync(command, ExternalServicesHost.CallContext());

        Assert.True(outcome.Succeeded);
        var first = Assert.Single(_primary.Requests(ProviderStub.ChargesPath));
        var second = Assert.Single(_secondary.Requests(ProviderStub.ChargesPath));
        Assert.Equal(command.CommandId.ToString(), ProviderStub.Header(first, "Idempotency-Key"));
        Assert.Equal(command.CommandId.ToString(), ProviderStub.Header(second, "Idempotency-Key"));
        Assert.Equal(ProviderStub.Header(first, "Authorization"), ProviderStub.Header(second, "Authorization"));
        Assert.Equal(1, _primary.Answered(ProviderStub.ChargesPath, 201) + _secondary.Answered(ProviderStub.ChargesPath, 201));
    }

    [Fact]
    public async Task Charge_AfterPrimaryBreakerOpens_GoesStraightToSecondary()
    {
        _primary.AnswerAll(ProviderStub.ChargesPath, 503);
        _secondary.WithChargesCreated();
        var host = Host();
        var payments = host.Get<ChargeHandlerCall>();

        for (var i = 0; i < 2; i++)
        {
            Assert.True((await payments.ChargeAsync(Charge(), ExternalServicesHost.CallContext())).Succeeded);
        }

        Assert.Equal(BreakerState.Open, host.Breakers.GetState(_primary.PaymentsEndpointName));
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await payments.ChargeAsync(Charge(), ExternalServicesHost.CallContext())).Succeeded);
        }

        Assert.Equal(2, _primary.Requests(ProviderStub.ChargesPath).Count); // none while its breaker is open
        Assert.Equal(7, _secondary.Requests(ProviderStub.ChargesPath).Count);
        Assert.Equal(BreakerState.Closed, host.Breakers.GetState(_secondary.PaymentsEndpointName));
    }

    [Fact]
    public async Task Charge_WhenBothEndpointsAreDown_OpensBothBreakersAndStopsCallingThem()
    {
        _primary.AnswerAll(ProviderStub.ChargesPath, 503);
        _secondary.AnswerAll(ProviderStub.ChargesPath, 502);
        var host = Host();
        var payments = host.Get<ChargeHandlerCall>();

        for (var i = 0; i < 2; i++)
        {
            var failed = await Assert.ThrowsAsync<ProviderException>(() => payments.ChargeAsync(Charge(), ExternalServicesHost.CallContext()));
            Assert.True(failed.IsTransient);
        }

        var callsWhenOpened = _primary.Requests(ProviderStub.ChargesPath).Count + _secondary.Requests(ProviderStub.ChargesPath).Count;
        for (var i = 0; i < 5; i++)
        {
            var rejected = await Assert.ThrowsAsync<ProviderException>(() => payments.ChargeAsync(Charge(), ExternalServicesHost.CallContext()));
            Assert.True(rejected.IsTransient);
            Assert.IsAssignableFrom<BrokenCircuitException>(rejected.InnerException);
        }

        Assert.Equal(4, callsWhenOpened);
        Assert.Equal(callsWhenOpened, _primary.Requests(ProviderStub.ChargesPath).Count + _secondary.Requests(ProviderStub.ChargesPath).Count);
        Assert.Equal(BreakerState.Open, host.Breakers.GetState(_primary.PaymentsEndpointName));
        Assert.Equal(BreakerState.Open, host.Breakers.GetState(_secondary.PaymentsEndpointName));
    }

    [Fact]
    public async Task Charge_WhenDeclinedWith402_IsNeitherRetriedNorFailedOverNorCountedByTheBreaker()
    {
        _primary.AnswerAll(ProviderStub.ChargesPath, 402, """{"error":"card_declined"}""");
        _secondary.WithChargesCreated();
        var host = Host();
        var payments = host.Get<ChargeHandlerCall>();

        for (var i = 0; i < 5; i++)
        {
            var outcome = await payments.ChargeAsync(Charge(), ExternalServicesHost.CallContext());
            Assert.Equal("card_declined", outcome.Refusal?.Code);
        }

        Assert.Equal(5, _primary.Requests(ProviderStub.ChargesPath).Count);
        Assert.Empty(_secondary.Requests(ProviderStub.ChargesPath));
        Assert.Equal(BreakerState.Closed, host.Breakers.GetState(_primary.PaymentsEndpointName));
    }

    [Fact]
    public async Task Charge_WithOneSecondDeadlineAndAProviderTakingFiveSeconds_TimesOutInsteadOfWaiting()
    {
        // Attempt timeouts are 20 s in this configuration: only the deadline can end the call early.
        var command = Charge();
        _primary.WithChargesCreated().AnswerSlowly(ProviderStub.ChargesPath, command.CommandId, TimeSpan.FromSeconds(5));
        using var host = new ExternalServicesHost(_primary.Configuration());

        var ex = await Assert.ThrowsAsync<ProviderException>(() =>
            host.Get<ChargeHandlerCall>().ChargeAsync(command, ExternalServicesHost.CallContext(DateTimeOffset.UtcNow.AddSeconds(1))));

        Assert.True(ex.IsTransient);
        Assert.IsType<TimeoutRejectedException>(ex.InnerException);
    }

    [Fact]
    public async Task Charge_WhenBreakerSettingsAreReloaded_UsesTheNewSettingsWithoutRestart()
    {
        _primary.AnswerAll(ProviderStub.ChargesPath, 503);
        _secondary.WithChargesCreated();
        var host = Host(config => config["Resilience:Dependencies:payments:Breaker:MinimumThroughput"] = "1000");
        var payments = host.Get<ChargeHandlerCall>();
        for (var i = 0; i < 3; i++)
        {
            await payments.ChargeAsync(Charge(), ExternalServicesHost.CallContext());
        }

        Assert.Equal(BreakerState.Closed, host.Breakers.GetState(_primary.PaymentsEndpointName));

        host.Configuration["Resilience:Dependencies:payments:Breaker:MinimumThroughput"] = "2";
        host.Configuration.Reload();
        for (var i = 0; i < 4; i++)
        {
            Assert.True((await payments.ChargeAsync(Charge(), ExternalServicesHost.CallContext())).Succeeded);
        }

        // Three calls before the reload, two to open the rebuilt breaker, then none.
        Assert.Equal(BreakerState.Open, host.Breakers.GetState(_primary.PaymentsEndpointName));
        Assert.Equal(5, _primary.Requests(ProviderStub.ChargesPath).Count);
    }

    [Fact]
    public async Task Charge_RegistersABreakerPerEndpointAndOneForTheTokenEndpoint()
    {
        _primary.AnswerAll(ProviderStub.ChargesPath, 503);
        _secondary.WithChargesCreated();
        var host = Host();

        await host.Get<ChargeHandlerCall>().ChargeAsync(Charge(), ExternalServicesHost.CallContext());

        var names = host.Breakers.Snapshot().Select(b => b.Name).ToList();
        Assert.Contains(_primary.PaymentsEndpointName, names);
        Assert.Contains(_secondary.PaymentsEndpointName, names);
        Assert.Contains("payments.token", names);
        Assert.Matches("^payments@[a-z0-9.]+:[0-9]+$", _primary.PaymentsEndpointName);
    }

    [Fact]
    public async Task Charge_WhenTokenEndpointFailsOnce_RetriesItThroughItsOwnPipeline()
    {
        using var tokens = new ProviderStub();
        tokens.WithTokenAfterOneFailure(503, "token-after-retry");
        _secondary.WithChargesCreated();
        var host = Host(config => config["ExternalServices:Payments:TokenUrl"] = tokens.Server.Url + ProviderStub.TokenPath);
        _primary.WithChargesCreated();

        var outcome = await host.Get<ChargeHandlerCall>().ChargeAsync(Charge(), ExternalServicesHost.CallContext());

        Assert.True(outcome.Succeeded);
        Assert.Equal(2, tokens.Requests(ProviderStub.TokenPath).Count);
        Assert.Equal("Bearer token-after-retry", ProviderStub.Header(Assert.Single(_primary.Requests(ProviderStub.ChargesPath)), "Authorization"));
        Assert.Equal(BreakerState.Closed, host.Breakers.GetState(_primary.PaymentsEndpointName));
    }

    [Fact]
    public async Task Charge_With200ConcurrentColdCalls_FetchesOneToken()
    {
        _primary.WithChargesCreated();
        var payments = Host().Get<ChargeHandlerCall>();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 200)
            .Select(_ => Task.Run(() => payments.ChargeAsync(Charge(), ExternalServicesHost.CallContext()), TestContext.Current.CancellationToken)));

        Assert.All(outcomes, o => Assert.True(o.Succeeded));
        Assert.Single(_primary.Requests(ProviderStub.TokenPath));
    }

    [Fact]
    public void ProviderClients_LeaveTimeToThePipelines_AndStartAtTheFirstEndpoint()
    {
        var factory = Host().Get<IHttpClientFactory>();

        using var payments = factory.CreateClient(PaymentsCommandType.ProviderName);
        using var notifications = factory.CreateClient(NotificationsCommandType.ProviderName);
        using var tokens = factory.CreateClient("payments.token");

        Assert.Equal(Timeout.InfiniteTimeSpan, payments.Timeout);
        Assert.Equal(Timeout.InfiniteTimeSpan, notifications.Timeout);
        Assert.Equal(Timeout.InfiniteTimeSpan, tokens.Timeout);
        Assert.Equal(new Uri(_primary.Server.Url + "/"), payments.BaseAddress);
    }

    public void Dispose()
    {
        _hosts.ForEach(h => h.Dispose());
        _primary.Dispose();
        _secondary.Dispose();
    }

    /// <summary>A host whose payments endpoints are the primary then the secondary, with breakers that open after two failures.</summary>
    private ExternalServicesHost Host(Action<Dictionary<string, string?>>? configure = null)
    {
        var configuration = _primary.Configuration();
        configuration["ExternalServices:Payments:Endpoints:1"] = _secondary.Server.Url;
        configuration["Resilience:Dependencies:payments:Breaker:MinimumThroughput"] = "2";
        configuration["Resilience:Dependencies:payments:Breaker:FailureRatio"] = "0.5";
        configuration["Resilience:Dependencies:payments:Breaker:BreakDuration"] = "00:10:00";
        configure?.Invoke(configuration);
        var host = new ExternalServicesHost(configuration);
        _hosts.Add(host);
        return host;
    }
}
