using System.Diagnostics.Metrics;
using Messaging.Store.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Store.Tests.Telemetry;

public sealed class CommandMetricsTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AcceptedAt_OfAVersion7Id_IsItsCreationTimeToTheMillisecond()
    {
        var created = new DateTimeOffset(2026, 5, 1, 12, 0, 0, 123, TimeSpan.Zero);

        Assert.Equal(created, CommandMetrics.AcceptedAt(Guid.CreateVersion7(created)));
        Assert.Null(CommandMetrics.AcceptedAt(Guid.NewGuid()));
    }

    [Fact]
    public void Completed_CountsTheOutcome_AndRecordsTheLatencyFromAcceptance()
    {
        var time = new FakeTimeProvider(Start);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        var metrics = new CommandMetrics(meterFactory, time);
        using var commands = new MetricCollector<long>(meterFactory, CommandTelemetry.MeterName, "messaging.commands");
        using var duration = new MetricCollector<double>(meterFactory, CommandTelemetry.MeterName, "messaging.command.duration");
        var id = Guid.CreateVersion7(Start);

        metrics.Accepted("payments.charge");
        time.Advance(TimeSpan.FromMilliseconds(2500));
        metrics.Completed("payments.charge", CommandOutcome.Succeeded, id);

        Assert.Collection(commands.GetMeasurementSnapshot(),
            accepted => Assert.Equal("accepted", accepted.Tags[CommandTelemetry.Outcome]),
            succeeded =>
            {
                Assert.Equal("succeeded", succeeded.Tags[CommandTelemetry.Outcome]);
                Assert.Equal("payments.charge", succeeded.Tags[CommandTelemetry.CommandType]);
            });
        var latency = Assert.Single(duration.GetMeasurementSnapshot());
        Assert.Equal(2.5, latency.Value, precision: 3);
        Assert.Equal("succeeded", latency.Tags[CommandTelemetry.Outcome]);
    }

    [Theory]
    [InlineData(CommandOutcome.Succeeded, "succeeded")]
    [InlineData(CommandOutcome.Failed, "failed")]
    [InlineData(CommandOutcome.DeadLettered, "dead_lettered")]
    [InlineData(CommandOutcome.Expired, "expired")]
    [InlineData(CommandOutcome.Cancelled, "cancelled")]
    public void EveryTerminalOutcome_HasItsOwnTag(CommandOutcome outcome, string tag)
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        var metrics = new CommandMetrics(meterFactory, new FakeTimeProvider(Start));
        using var commands = new MetricCollector<long>(meterFactory, CommandTelemetry.MeterName, "messaging.commands");

        metrics.Completed("payments.charge", outcome, Guid.CreateVersion7(Start));

        Assert.Equal(tag, Assert.Single(commands.GetMeasurementSnapshot()).Tags[CommandTelemetry.Outcome]);
    }

    [Fact]
    public void Published_RecordsTheLagFromDueToConfirm_ByKindAndDestination()
    {
        var time = new FakeTimeProvider(Start);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        var metrics = new CommandMetrics(meterFactory, time);
        using var publish = new MetricCollector<double>(meterFactory, CommandTelemetry.MeterName, "messaging.outbox.publish.duration");

        time.Advance(TimeSpan.FromMilliseconds(40));
        metrics.Published("payments.charge", isEvent: false, Start);

        var lag = Assert.Single(publish.GetMeasurementSnapshot());
        Assert.Equal(0.04, lag.Value, precision: 3);
        Assert.Equal("command", lag.Tags["messaging.outbox.kind"]);
        Assert.Equal("payments.charge", lag.Tags["messaging.destination.name"]);
    }
}
