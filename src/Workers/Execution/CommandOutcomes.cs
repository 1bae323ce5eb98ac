using Messaging.CommandTypes;
using Messaging.Store.DeadLetters;
using Messaging.Store.Telemetry;

namespace Messaging.Workers.Execution;

/// <summary>
/// The two endings every step of execution may reach before the handler has answered: a dead letter (with the
/// type's fallback) and an expired deadline. Shared by the endpoint's filters and the executor, so each ending
/// is written, counted and logged one way.
/// </summary>
internal sealed partial class CommandOutcomes(
    CommandStatusStore store, DeadLetterWriter deadLetters, CommandMetrics metrics, TimeProvider timeProvider, ILogger<CommandOutcomes> logger)
{
    /// <summary>The error stored on a command whose deadline passed before it ran.</summary>
    internal static readonly CommandStatusError DeadlineExceeded =
        new("deadline_exceeded", "The command's deadline passed before it could be executed.");

    /// <summary>Dead letters of messages that cannot be executed as they are (unreadable, invalid, missing headers).</summary>
    internal const string PoisonSource = "poison";

    /// <summary>A command marked as published directly without a valid signature (never executed, kept without a tenant).</summary>
    internal const string UnsignedSource = "unsigned";

    /// <summary>Dead letters of commands whose every attempt failed transiently.</summary>
    internal const string RetriesExhaustedSource = "retries-exhausted";

    /// <summary>Dead letters of commands the consumer could not execute in a way no retry changes.</summary>
    internal const string ConsumerFaultSource = "consumer-fault";

    /// <summary>Stores the delivery whole as a dead letter, marks its command <c>DeadLettered</c> and runs the type's fallback, in one transaction.</summary>
    public async Task DeadLetterAsync(CommandDelivery delivery, string source, string reason, string? exceptionType, int attempts,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var now = timeProvider.GetUtcNow();
        var letter = new DeadLetter(delivery.CommandId, delivery.Message.Tenant, delivery.Descriptor.TypeName, delivery.Body, delivery.Headers,
            attempts, now, now, exceptionType, reason, source);
        await deadLetters.RecordAsync(letter, delivery.Message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks the command <c>Expired</c> (unless it already ended), without a provider call.</summary>
    public async Task ExpireAsync(Guid commandId, string commandType, CancellationToken cancellationToken)
    {
        if (await store.ExpireAsync(commandId, DeadlineExceeded, timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            metrics.Completed(commandType, CommandOutcome.Expired, commandId);
            Log.CommandExpired(logger, commandId, commandType);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4003, EventName = "CommandExpired", Level = LogLevel.Warning,
            Message = "Command {CommandId} ({CommandType}) expired: its deadline passed before it could be executed")]
        public static partial void CommandExpired(ILogger logger, Guid commandId, string commandType);
    }
}
