using MassTransit;
using Messaging.CommandTypes;
using Messaging.Contracts.Commands;
using Messaging.Resilience.Signing;
using Messaging.Store.DeadLetters;

namespace Messaging.Workers.Execution;

/// <summary>
/// The inbox step: the stored command decides whether this delivery runs. A command the gateway published
/// directly while PostgreSQL was down gets its row now (from the headers), once its signature is verified: an
/// unsigned or badly signed one creates nothing, and is kept as a dead letter without a tenant (operators see it; a
/// forger cannot fill a tenant's list) and never executed. No row, another tenant or type
/// than stored, or a command that already ended: the message is acknowledged without a
/// provider call. Otherwise the stored deadline joins the delivery and the next step runs.
/// </summary>
internal sealed partial class InboxFilter<TMessage>(
    CommandStatusStore store, MessageSigner signer, DeadLetterWriter deadLetters, TimeProvider timeProvider, ILogger<InboxFilter<TMessage>> logger)
    : IFilter<ConsumeContext<TMessage>>
    where TMessage : class, ICommandMessage
{
    public async Task Send(ConsumeContext<TMessage> context, IPipe<ConsumeContext<TMessage>> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var delivery = context.GetPayload<CommandDelivery>();
        var profile = delivery.Profile;
        var message = context.Message;
        var commandId = message.CommandId;
        var commandType = profile.CommandType;
        var cancellationToken = context.CancellationToken;

        var command = await store.FindAsync(commandId, cancellationToken).ConfigureAwait(false);
        if (command is null && DirectlyPublishedCommand.From(context, delivery.Descriptor, profile, timeProvider.GetUtcNow()) is { } direct)
        {
            if (!direct.IsSignedBy(signer, context))
            {
                // Anyone who can publish to the exchange could claim any tenant: nothing is created or executed.
                Log.DirectCommandUnsigned(logger, commandId, commandType);
                var now = timeProvider.GetUtcNow();
                await deadLetters.RecordAsync(new DeadLetter(null, null, commandType, context.ReceiveContext.Body.GetString(), DirectlyPublishedCommand.HeadersOf(context),
                    context.GetRedeliveryCount() + 1, now, now, ExceptionType: null,
                    "A command marked as published directly by the gateway was not signed with Messaging:SigningKeys: it was not executed.",
                    CommandOutcomes.UnsignedSource), command: null, cancellationToken).ConfigureAwait(false);
                await CommandSteps.EndAsync(context, "inbox").ConfigureAwait(false);
                return;
            }

            // The gateway published this command directly while PostgreSQL was down: its row is created now
            // (from the headers: tenant, client, deadline, idempotency key), and then it runs like any other.
            var holder = await store.CreateIfAbsentAsync(direct, cancellationToken).ConfigureAwait(false);
            Log.DirectCommandRecorded(logger, commandId, commandType);
            if (holder is { } earlier)
            {
                // The tenant's idempotency key already stood for another command (used before the outage, so the
                // gateway could not see it): that one is the command; this duplicate is not executed.
                Log.DirectCommandDuplicate(logger, commandId, commandType, earlier);
                await store.CompleteAsync(commandId, CommandResult.Refused(new CommandStatusError("duplicate_request",
                    $"The Idempotency-Key was already used for command {earlier}; this request was not executed.")), timeProvider.GetUtcNow(),
                    cancellationToken).ConfigureAwait(false);
                await CommandSteps.EndAsync(context, "inbox").ConfigureAwait(false);
                return;
            }

            command = await store.FindAsync(commandId, cancellationToken).ConfigureAwait(false);
        }

        if (command is null)
        {
            // Nothing to execute or to record a status on; redelivering would not change that.
            Log.CommandNotFound(logger, commandId, commandType);
            await CommandSteps.EndAsync(context, "inbox").ConfigureAwait(false);
            return;
        }

        if (!string.Equals(command.Tenant, message.Tenant, StringComparison.Ordinal)
            || !string.Equals(command.Type, commandType, StringComparison.Ordinal))
        {
            // Never execute a command for a tenant (or as a type) other than the stored one.
            Log.CommandDoesNotMatch(logger, commandId, commandType);
            await CommandSteps.EndAsync(context, "inbox").ConfigureAwait(false);
            return;
        }

        if (command.AlreadyProcessed)
        {
            Log.CommandAlreadyProcessed(logger, commandId, commandType, command.Status?.ToString() ?? "unknown");
            await CommandSteps.EndAsync(context, "inbox").ConfigureAwait(false);
            return;
        }

        delivery.StoredDeadline = command.Deadline;
        await next.Send(context).ConfigureAwait(false);
    }

    public void Probe(ProbeContext context) => context?.CreateFilterScope("inbox");

    private static partial class Log
    {
        [LoggerMessage(EventId = 4000, EventName = "CommandNotFound", Level = LogLevel.Warning,
            Message = "Command {CommandId} ({CommandType}) has no stored row; it cannot be executed and the message is acknowledged")]
        public static partial void CommandNotFound(ILogger logger, Guid commandId, string commandType);

        [LoggerMessage(EventId = 4008, EventName = "DirectCommandRecorded", Level = LogLevel.Information,
            Message = "Command {CommandId} ({CommandType}) was published directly by the gateway while PostgreSQL was down; its status row is recorded now")]
        public static partial void DirectCommandRecorded(ILogger logger, Guid commandId, string commandType);

        [LoggerMessage(EventId = 4010, EventName = "DirectCommandUnsigned", Level = LogLevel.Warning,
            Message = "Command {CommandId} ({CommandType}) is marked as published directly but its signature is missing or wrong; nothing is created or executed, and it is kept as a dead letter without a tenant")]
        public static partial void DirectCommandUnsigned(ILogger logger, Guid commandId, string commandType);

        [LoggerMessage(EventId = 4009, EventName = "DirectCommandDuplicate", Level = LogLevel.Warning,
            Message = "Command {CommandId} ({CommandType}) reused an idempotency key of command {EarlierCommandId}; it is marked Failed and not executed")]
        public static partial void DirectCommandDuplicate(ILogger logger, Guid commandId, string commandType, Guid earlierCommandId);

        [LoggerMessage(EventId = 4001, EventName = "CommandDoesNotMatch", Level = LogLevel.Warning,
            Message = "Command {CommandId} ({CommandType}): the message's tenant or type differs from the stored command; it is not executed and the message is acknowledged")]
        public static partial void CommandDoesNotMatch(ILogger logger, Guid commandId, string commandType);

        [LoggerMessage(EventId = 4002, EventName = "CommandAlreadyProcessed", Level = LogLevel.Information,
            Message = "Command {CommandId} ({CommandType}) is already processed ({Status}); the duplicate delivery is acknowledged without a provider call")]
        public static partial void CommandAlreadyProcessed(ILogger logger, Guid commandId, string commandType, string status);
    }
}
