using System.Diagnostics.Metrics;
using Messaging.Contracts.Payments;
using Messaging.Resilience.Breakers;
using Messaging.Resilience;
using Messaging.Workers.Tests.Execution;
using Messaging.Workers.Tests.ExternalServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Messaging.Workers.Tests.Flow;

/// <summary>
/// Breaker-aware consumption against real RabbitMQ: while the provider's breakers are open the endpoint
/// takes no messages (they stay ready in the queue), and a message already in the worker that meets the
/// open breaker goes back through the outbox without counting an attempt or calling the provider.
/// </summary>
public sealed class BreakerAwareConsumptionTests(SlowRampHostFixture host) : IClassFixture<SlowRampHostFixture>
{
    private const string Tenant = "tenant-flow";

    private static DateTimeOffset InTenMinutes => DateTimeOffset.UtcNow.AddMinutes(10);

    private static ChargePayment Charge(Guid id) => new()
    {
        CommandId = id,
        Tenant = Tenant,
        Amount = 9m,
        Currency = "EUR",
        CustomerId = "cus_flow",
    };

    private BreakerRegistry Breakers => host.Services.GetRequiredService<BreakerRegistry>();

    [Fact]
    public async Task WhileTheProvidersBreakersAreOpen_TheEndpointStopsConsuming_AndMessagesStayReadyInTheQueue()
    {
        await EnsurePaymentsBreakerExistsAsync();
        var id = Guid.NewGuid();
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InTenMinutes);

        await Breakers.IsolateAsync(host.Providers.PaymentsEndpointName, TestContext.Current.CancellationToken);
        try
        {
            await host.WaitForEndpointAsync(ChargePayment.TypeName, EndpointFlowState.Paused);
            await WorkersHostFixture.WaitUntilAsync(async () => (await host.QueueAsync(ChargePayment.TypeName)).Consumers == 0, "the consumer is cancelled");
            await host.SendAsync(Charge(id), ChargePayment.TypeName, InTenMinutes);

            var (messages, consumers) = await host.QueueAsync(ChargePayment.TypeName);
            Assert.Equal(1u, messages);
            Assert.Equal(0u, consumers);
            var endpoint = Endpoint(ChargePayment.TypeName);
            Assert.Equal("payments", endpoint.PausedBy);
            Assert.Equal(0, endpoint.CurrentLimit);
            // The payments breakers do not pause the notifications endpoint (it may still be ramping up
            // after an earlier test of this class, but it is not paused).
            Assert.NotEqual(EndpointFlowState.Paused, Endpoint("notifications.send").State);

            // The paused gauge, per endpoint. Read from this host's own meter: a Prometheus scrape would also
            // see the same-named gauges of the other hosts in this test process (OpenTelemetry listens by
            // meter name, process-wide), which a real worker process does not have.
            var meter = host.Services.GetRequiredService<ResilienceMetrics>().Meter;
            Assert.Equal(1, Gauge(meter, "messaging.endpoint.paused", ChargePayment.TypeName));
            Assert.Equal(0, Gauge(meter, "messaging.endpoint.paused", "notifications.send"));
            Assert.Equal(0, Gauge(meter, "messaging.endpoint.concurrency_limit", ChargePayment.TypeName));

            // The overview reads the fleet's endpoint states from Redis.
            var fleet = await host.Services.GetRequiredService<SharedEndpointStates>().FleetSnapshotAsync(TestContext.Current.CancellationToken);
            var shown = Assert.Single(fleet, e => e.Name == ChargePayment.TypeName);
            Assert.Equal(EndpointFlowState.Paused, shown.State);
            Assert.Equal("payments", shown.PausedBy);
        }
        finally
        {
            await Breakers.ResetAsync(host.Providers.PaymentsEndpointName, TestContext.Current.CancellationToken);
        }

        var row = await host.WaitForStatusAsync(id, "Succeeded");
        Assert.Equal(1, row.Attempts);
        Assert.Single(host.Providers.Requests(ProviderStub.ChargesPath, id));
        Assert.Equal(EndpointFlowState.Ramping, Endpoint(ChargePayment.TypeName).State);
    }

    [Fact]
    public async Task AMessageInTheWorkerThatMeetsTheOpenBreaker_IsDeferredThroughTheOutbox_WithoutAnAttemptOrAProviderCall()
    {
        await EnsurePaymentsBreakerExistsAsync();
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        var holds = new Dictionary<Guid, HeldRequest>
        {
            [first] = host.Providers.Hold(ProviderStub.ChargesPath, first),
            [second] = host.Providers.Hold(ProviderStub.ChargesPath, second),
        };
        await host.InsertCommandAsync(first, ChargePayment.TypeName, Tenant, InTenMinutes);
        await host.InsertCommandAsync(second, ChargePayment.TypeName, Tenant, InTenMinutes);

        // Paused, then resumed: the endpoint ramps from one message at a time (and stays there in this host).
        await Breakers.IsolateAsync(host.Providers.PaymentsEndpointName, TestContext.Current.CancellationToken);
        await WorkersHostFixture.WaitUntilAsync(async () => (await host.QueueAsync(ChargePayment.TypeName)).Consumers == 0, "the consumer is cancelled");
        await host.SendAsync(Charge(first), ChargePayment.TypeName, InTenMinutes);
        await host.SendAsync(Charge(second), ChargePayment.TypeName, InTenMinutes);
        await Breakers.ResetAsync(host.Providers.PaymentsEndpointName, TestContext.Current.CancellationToken);

        // One message is at the provider; the other is in the worker, waiting for the gate. Which one takes
        // the single slot is not fixed: the transport hands both deliveries to the pipeline at once.
        var arrived = await Task.WhenAny(holds.Values.Select(h => h.Arrived)).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        var running = holds.Single(h => h.Value.Arrived == arrived).Key;
        var waiting = running == first ? second : first;
        await WorkersHostFixture.WaitUntilAsync(async () => (await host.QueueAsync(ChargePayment.TypeName)).Messages == 0, "both messages are in the worker");
        DateTimeOffset opened;
        try
        {
            opened = DateTimeOffset.UtcNow;
            await Breakers.IsolateAsync(host.Providers.PaymentsEndpointName, TestContext.Current.CancellationToken);
            var deferred = await host.WaitForStatusAsync(waiting, "Scheduled");
            var after = DateTimeOffset.UtcNow;

            Assert.Equal(0, deferred.Attempts);
            Assert.Equal("deferred", deferred.ErrorCode);
            Assert.Null(deferred.FirstFailureAt);
            Assert.Empty(host.Providers.Requests(ProviderStub.ChargesPath, waiting));
            var row = Assert.Single(await host.OutboxRowsAsync(waiting));
            Assert.Equal("1", row.Headers["Messaging-Attempt"]);
            // Isolated breakers announce no break: the command comes back after the endpoint's default probe delay.
            Assert.InRange(row.NotBefore, opened.AddSeconds(30), after.AddSeconds(31));

            // The call already at the provider completes normally.
            holds[running].Release();
            Assert.Equal(1, (await host.WaitForStatusAsync(running, "Succeeded")).Attempts);
        }
        finally
        {
            foreach (var held in holds.Values)
            {
                held.Release();
            }

            await Breakers.ResetAsync(host.Providers.PaymentsEndpointName, TestContext.Current.CancellationToken);
        }

        // Brought back (here by hand, in the gateway by the relay) it runs as the same first attempt.
        await host.RelayAsync(waiting);
        Assert.Equal(1, (await host.WaitForStatusAsync(waiting, "Succeeded")).Attempts);
    }

    [Fact]
    public async Task AMessageWhoseOutcomeCannotBeStoredWhilePostgresIsDown_IsHeld_AndCompletesOnceAfterRecovery()
    {
        var id = Guid.NewGuid();
        var held = host.Providers.Hold(ProviderStub.ChargesPath, id);
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InTenMinutes);
        await host.SendAsync(Charge(id), ChargePayment.TypeName, InTenMinutes);
        await held.Arrived.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        await Breakers.IsolateAsync(DependencyNames.Postgres, TestContext.Current.CancellationToken);
        try
        {
            // The provider answers, but the outcome cannot be stored: the message is held, not acknowledged.
            held.Release();
            await WorkersHostFixture.WaitUntilAsync(() => Task.FromResult(host.Logs.GetSnapshot().Any(r => r.Id.Name == "MessageHeldForInfrastructure"
                && r.Message.Contains(id.ToString(), StringComparison.Ordinal))), "the message is held");
            await host.WaitForEndpointAsync(ChargePayment.TypeName, EndpointFlowState.Paused);

            Assert.Equal("Processing", (await host.ReadCommandAsync(id))!.Status);
            Assert.Equal(0, host.Consumed.Completed(id));
            Assert.Empty(await host.DeadLettersAsync("command_id = @id", ("id", id)));
        }
        finally
        {
            await Breakers.ResetAsync(DependencyNames.Postgres, TestContext.Current.CancellationToken);
        }

        var row = await host.WaitForStatusAsync(id, "Succeeded");
        Assert.Equal(1, row.Attempts);
        // Asked again after recovery with the same idempotency key (a real provider answers with the first charge).
        Assert.Equal(2, host.Providers.Requests(ProviderStub.ChargesPath, id).Count);
        Assert.Empty(await host.DeadLettersAsync("command_id = @id", ("id", id)));

        // The endpoint took up the queue again.
        var next = Guid.NewGuid();
        await host.InsertCommandAsync(next, ChargePayment.TypeName, Tenant, InTenMinutes);
        await host.SendAsync(Charge(next), ChargePayment.TypeName, InTenMinutes);
        await host.WaitForStatusAsync(next, "Succeeded");
    }

    // The value one endpoint's series of an observable gauge reports now.
    private static int? Gauge(Meter meter, string name, string endpoint)
    {
        using var collector = new MetricCollector<int>(meter, name);
        collector.RecordObservableInstruments();
        return collector.GetMeasurementSnapshot()
            .SingleOrDefault(m => Equals(m.Tags["messaging.endpoint"], endpoint))?.Value;
    }

    private BreakerAwareEndpoint Endpoint(string name) =>
        host.Services.GetRequiredService<BreakerAwareEndpoints>().TryGet(name, out var endpoint) ? endpoint : throw new InvalidOperationException(name);

    // A breaker exists once its pipeline has been used.
    private async Task EnsurePaymentsBreakerExistsAsync()
    {
        if (Breakers.Contains(host.Providers.PaymentsEndpointName))
        {
            return;
        }

        var id = Guid.NewGuid();
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InTenMinutes);
        await host.SendAsync(Charge(id), ChargePayment.TypeName, InTenMinutes);
        await host.WaitForStatusAsync(id, "Succeeded");
    }
}
