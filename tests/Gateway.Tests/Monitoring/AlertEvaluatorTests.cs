using Messaging.Gateway.Monitoring;
using Messaging.Resilience.Breakers;
using Messaging.Store.DeadLetters;
using Messaging.Resilience.Telemetry;
using Microsoft.Extensions.Logging;

namespace Messaging.Gateway.Tests.Monitoring;

public sealed class AlertEvaluatorTests
{
    private const string Payments = "payments@127.0.0.1:5091";

    [Fact]
    public async Task BreakerOpen_FiresOnlyAfterTheThreshold_IsLogged_AndClearsWhenTheBreakerCloses()
    {
        await using var harness = new AlertsHarness(o => o.BreakerOpenFor = TimeSpan.FromMinutes(1));
        var openedAt = harness.Time.GetUtcNow();
        BreakerSnapshot[] open = [new(Payments, BreakerState.Open, openedAt), new("postgres", BreakerState.Closed, openedAt)];

        harness.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(harness.Evaluator.Evaluate(harness.Sample(breakers: open)));

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        var alert = Assert.Single(harness.Evaluator.Evaluate(harness.Sample(breakers: open)));
        Assert.Equal(AlertRules.BreakerOpen, alert.Rule);
        Assert.Equal("critical", alert.Severity);
        Assert.Equal(openedAt, alert.Since);
        Assert.Contains(Payments, alert.Message, StringComparison.Ordinal);
        var fired = Assert.Single(harness.Logs.GetSnapshot(), r => r.Id.Name == "AlertFired");
        Assert.Equal(7000, fired.Id.Id);
        Assert.Equal(LogLevel.Warning, fired.Level);

        harness.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(harness.Evaluator.Evaluate(harness.Sample(breakers: [new(Payments, BreakerState.Closed, harness.Time.GetUtcNow())])));
        var cleared = Assert.Single(harness.Logs.GetSnapshot(), r => r.Id.Name == "AlertCleared");
        Assert.Equal(7001, cleared.Id.Id);
    }

    [Fact]
    public async Task BreakerOpen_FlappingBetweenOpenAndHalfOpen_CountsFromTheFirstOpening()
    {
        await using var harness = new AlertsHarness(o => o.BreakerOpenFor = TimeSpan.FromSeconds(30));
        var first = harness.Time.GetUtcNow();

        for (var i = 0; i < 3; i++)
        {
            // Each failed probe reopens it: its own "since" keeps moving, the condition does not.
            var state = i % 2 == 0 ? BreakerState.Open : BreakerState.HalfOpen;
            Assert.Empty(harness.Evaluator.Evaluate(harness.Sample(breakers: [new(Payments, state, harness.Time.GetUtcNow())])));
            harness.Time.Advance(TimeSpan.FromSeconds(10));
        }

        var alert = Assert.Single(harness.Evaluator.Evaluate(harness.Sample(breakers: [new(Payments, BreakerState.Open, harness.Time.GetUtcNow())])));
        Assert.Equal(first, alert.Since);
    }

    [Fact]
    public async Task AnIsolatedBreaker_IsAWarning_ThatTellsHowToReset()
    {
        await using var harness = new AlertsHarness(o => o.BreakerOpenFor = TimeSpan.Zero);

        var alert = Assert.Single(harness.Evaluator.Evaluate(harness.Sample(breakers: [new(Payments, BreakerState.Isolated, harness.Time.GetUtcNow())])));

        Assert.Equal("warning", alert.Severity);
        Assert.Contains("/reset", alert.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingInput_KeepsThatRulesAlerts_UntilTheInputSaysOtherwise()
    {
        await using var harness = new AlertsHarness(o => o.BreakerOpenFor = TimeSpan.Zero);
        Assert.Single(harness.Evaluator.Evaluate(harness.Sample(breakers: [new(Payments, BreakerState.Open, harness.Time.GetUtcNow())])));

        harness.Time.Advance(TimeSpan.FromSeconds(3));
        Assert.Single(harness.Evaluator.Evaluate(harness.Sample(breakers: null)));

        Assert.Empty(harness.Evaluator.Evaluate(harness.Sample(breakers: [])));
    }

    [Fact]
    public async Task QueueWithoutConsumers_FiresForCommandQueuesAfterItsDuration_NeverForErrorQueues()
    {
        await using var harness = new AlertsHarness(o => o.QueueWithoutConsumersFor = TimeSpan.FromSeconds(10));
        QueueView[] queues =
        [
            AlertsHarness.Queue("payments.charge", 12, 0),
            AlertsHarness.Queue("payments.charge_error", 3, 0),
            AlertsHarness.Queue("notifications.send", 40, 2),
            AlertsHarness.Queue("notifications.send_skipped", 1, 0),
        ];

        Assert.Empty(harness.Evaluator.Evaluate(harness.Sample(queues: queues)));
        harness.Time.Advance(TimeSpan.FromSeconds(10));
        var alert = Assert.Single(harness.Evaluator.Evaluate(harness.Sample(queues: queues)));

        Assert.Equal(AlertRules.QueueWithoutConsumers, alert.Rule);
        Assert.Contains("payments.charge holds 12", alert.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OutboxLag_FiresAtTheAgeThreshold()
    {
        await using var harness = new AlertsHarness(o => o.OutboxOldestPendingAge = TimeSpan.FromMinutes(2));

        Assert.Empty(harness.Evaluator.Evaluate(harness.Sample(outbox: new OutboxStatistics(30, 119))));
        var alert = Assert.Single(harness.Evaluator.Evaluate(harness.Sample(outbox: new OutboxStatistics(30, 121))));

        Assert.Equal(AlertRules.OutboxLag, alert.Rule);
        Assert.Equal("critical", alert.Severity);
    }

    [Fact]
    public async Task DeadLettersGrowing_FiresOnGrowthWithinTheWindow_AndClearsOnceTheWindowHasPassedWithoutGrowth()
    {
        await using var harness = new AlertsHarness(o => o.DeadLetterWindow = TimeSpan.FromMinutes(10));
        var series = new TimeSeries();
        var summary = new DeadLetterSummary(1, new Dictionary<string, long> { ["payments.charge"] = 1 });
        MonitoringSample Next(long total)
        {
            series.Add(harness.Time.GetUtcNow(), total, TimeSpan.FromMinutes(11));
            return harness.Sample(deadLetters: summary with { Total = total }, deadLetterTotals: series.Snapshot());
        }

        Assert.Empty(harness.Evaluator.Evaluate(Next(0)));
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        var alert = Assert.Single(harness.Evaluator.Evaluate(Next(1)));
        Assert.Equal(AlertRules.DeadLettersGrowing, alert.Rule);
        Assert.Contains("payments.charge: 1", alert.Message, StringComparison.Ordinal);

        harness.Time.Advance(TimeSpan.FromMinutes(9));
        Assert.Single(harness.Evaluator.Evaluate(Next(1)));
        harness.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Empty(harness.Evaluator.Evaluate(Next(1)));
    }

    [Fact]
    public async Task RetryBudgetExhausted_FiresPerDependency_WhenTheFleetCounterRoseWithinTheWindow()
    {
        await using var harness = new AlertsHarness(o => o.RetryBudgetWindow = TimeSpan.FromMinutes(5));
        var payments = new TimeSeries();
        var postgres = new TimeSeries();
        MonitoringSample Next(long paymentsTotal)
        {
            payments.Add(harness.Time.GetUtcNow(), paymentsTotal, TimeSpan.FromMinutes(6));
            postgres.Add(harness.Time.GetUtcNow(), 7, TimeSpan.FromMinutes(6));
            return harness.Sample(counters: new Dictionary<string, SeriesWindow>
            {
                [FleetCounters.RetryBudgetExhausted + "|payments"] = payments.Snapshot(),
                [FleetCounters.RetryBudgetExhausted + "|postgres"] = postgres.Snapshot(),
            });
        }

        Assert.Empty(harness.Evaluator.Evaluate(Next(0)));
        harness.Time.Advance(TimeSpan.FromSeconds(3));
        var alert = Assert.Single(harness.Evaluator.Evaluate(Next(4)));
        Assert.Equal(AlertRules.RetryBudgetExhausted, alert.Rule);
        Assert.StartsWith("The retry budget of payments refused 4 retries", alert.Message, StringComparison.Ordinal);

        harness.Time.Advance(TimeSpan.FromMinutes(6));
        Assert.Empty(harness.Evaluator.Evaluate(Next(4)));
    }

    [Fact]
    public async Task RateLimitRejectionSurge_SumsEveryPolicyOverTheLastMinute()
    {
        await using var harness = new AlertsHarness(o => o.RejectionSurgePerMinute = 100);
        var tenant = new TimeSeries();
        var ip = new TimeSeries();
        MonitoringSample Next(long tenantTotal, long ipTotal)
        {
            tenant.Add(harness.Time.GetUtcNow(), tenantTotal, TimeSpan.FromMinutes(2));
            ip.Add(harness.Time.GetUtcNow(), ipTotal, TimeSpan.FromMinutes(2));
            return harness.Sample(counters: new Dictionary<string, SeriesWindow>
            {
                [FleetCounters.RateLimitRejections + "|tenant"] = tenant.Snapshot(),
                [FleetCounters.RateLimitRejections + "|ip"] = ip.Snapshot(),
            });
        }

        Assert.Empty(harness.Evaluator.Evaluate(Next(0, 0)));
        harness.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(harness.Evaluator.Evaluate(Next(60, 30)));
        harness.Time.Advance(TimeSpan.FromSeconds(30));
        var alert = Assert.Single(harness.Evaluator.Evaluate(Next(70, 40)));

        Assert.Equal(AlertRules.RateLimitRejectionSurge, alert.Rule);
        Assert.Contains("110 request(s)", alert.Message, StringComparison.Ordinal);
        Assert.Contains("policy tenant", alert.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DependencyUnhealthy_IsCriticalForUnhealthy_WarningForDegraded_AfterItsDuration()
    {
        await using var harness = new AlertsHarness(o => o.UnhealthyFor = TimeSpan.FromSeconds(30));
        HealthEntry[] health = [new("postgres", "Unhealthy"), new("redis", "Degraded"), new("masstransit-bus", "Healthy")];

        Assert.Empty(harness.Evaluator.Evaluate(harness.Sample(health: health)));
        harness.Time.Advance(TimeSpan.FromSeconds(30));
        var alerts = harness.Evaluator.Evaluate(harness.Sample(health: health));

        Assert.Collection(alerts,
            postgres => Assert.Equal(("critical", true), (postgres.Severity, postgres.Message.Contains("postgres", StringComparison.Ordinal))),
            redis => Assert.Equal(("warning", true), (redis.Severity, redis.Message.Contains("redis", StringComparison.Ordinal))));
    }
}
