using Messaging.Contracts.Callbacks;
using Messaging.Contracts.Commands;
using Messaging.Contracts.Notifications;
using Messaging.Contracts.Payments;

namespace Messaging.Contracts.Tests;

/// <summary>
/// Full type names, header names and command names are the wire format: messages already in queues and
/// outboxes carry them. These tests pin them so that a rename is a deliberate, visible change.
/// </summary>
public sealed class WireFormatTests
{
    [Theory]
    [InlineData(typeof(ChargePayment), "Messaging.Contracts.Payments.ChargePayment")]
    [InlineData(typeof(SendNotification), "Messaging.Contracts.Notifications.SendNotification")]
    [InlineData(typeof(DeliverCallback), "Messaging.Contracts.Callbacks.DeliverCallback")]
    public void MessageTypes_KeepTheirFullNames(Type type, string fullName) => Assert.Equal(fullName, type.FullName);

    [Fact]
    public void HeaderNames_AreStable()
    {
        Assert.Equal("Messaging-Tenant", MessageHeaders.Tenant);
        Assert.Equal("Messaging-Client", MessageHeaders.Client);
        Assert.Equal("Messaging-Command-Type", MessageHeaders.CommandType);
        Assert.Equal("Messaging-Deadline", MessageHeaders.Deadline);
        Assert.Equal("Messaging-Attempt", MessageHeaders.Attempt);
        Assert.Equal("Messaging-Idempotency-Key", MessageHeaders.IdempotencyKey);
        Assert.Equal("Messaging-Idempotency-Hash", MessageHeaders.IdempotencyHash);
        Assert.Equal("Messaging-Idempotency-Expires", MessageHeaders.IdempotencyExpires);
        Assert.Equal("Messaging-Accepted-Via", MessageHeaders.AcceptedVia);
        Assert.Equal("traceparent", MessageHeaders.TraceParent);
        Assert.Equal("tracestate", MessageHeaders.TraceState);
    }

    [Theory]
    [InlineData(CommandStatus.Succeeded, true)]
    [InlineData(CommandStatus.Failed, true)]
    [InlineData(CommandStatus.DeadLettered, true)]
    [InlineData(CommandStatus.Expired, true)]
    [InlineData(CommandStatus.Cancelled, true)]
    [InlineData(CommandStatus.Accepted, false)]
    [InlineData(CommandStatus.Dispatched, false)]
    [InlineData(CommandStatus.Processing, false)]
    [InlineData(CommandStatus.Scheduled, false)]
    public void TerminalStatuses(CommandStatus status, bool terminal) => Assert.Equal(terminal, status.IsTerminal());

    [Fact]
    public void StatusNames_AreStable() =>
        Assert.Equal(
            ["Accepted", "Dispatched", "Processing", "Succeeded", "Failed", "Scheduled", "DeadLettered", "Expired", "Cancelled"],
            Enum.GetNames<CommandStatus>());

    [Fact]
    public void CallbackEventTypes_AreStable_AndOnePerTerminalStatus()
    {
        Assert.Equal("callbacks.deliver", CallbackEventTypes.DeliveryTypeName);
        Assert.Equal(
            ["command.succeeded", "command.failed", "command.dead_lettered", "command.expired", "command.cancelled"],
            Enum.GetValues<CommandStatus>().Where(s => s.IsTerminal()).Select(CallbackEventTypes.For));
        Assert.All(Enum.GetValues<CommandStatus>().Where(s => !s.IsTerminal()), s => Assert.Null(CallbackEventTypes.For(s)));
    }
}
