using Messaging.CommandTypes;
using Messaging.Store.Outbox;
using MessageHeaders = Messaging.Contracts.MessageHeaders;
using Messaging.Store.Telemetry;

namespace Messaging.Workers.Execution;

/// <summary>What became of a command that was to be scheduled again.</summary>
internal enum ScheduleOutcome
{
    /// <summary>An outbox row brings it back when due; its status is <c>Scheduled</c>.</summary>
    Scheduled,

    /// <summary>It would have come back after its deadline, so it was expired instead.</summary>
    Expired,

    /// <summary>It was already finished (another delivery completed it); nothing was written.</summary>
    AlreadyFinished,
}

/// <summary>
/// Delayed retries and deferrals through the PostgreSQL outbox: in one transaction the command becomes
/// <c>Scheduled</c> (with the attempts made so far, and the time of its first failure) and an outbox row
/// carries the message again, with the attempt header it will run as, due at <c>not_before</c>; the
/// gateway's relay publishes it when due. No broker plugin is involved, and nothing is lost if the worker
/// dies right after: the transaction either committed (the row will be delivered) or not (the message was
/// not acknowledged and is redelivered).
/// </summary>
internal sealed partial class CommandScheduler(
    PostgresTransactions transactions,
    OutboxWriter outbox,
    CommandStatusStore store,
    CommandFlowMetrics flowMetrics,
    CommandMetrics commandMetrics,
    TimeProvider timeProvider,
    ILogger<CommandScheduler> logger)
{
    /// <summary>Schedules the next attempt after a transient failure of this one: it counts as an attempt made.</summary>
    public Task<ScheduleOutcome> RetryAsync(CommandDelivery delivery, DateTimeOffset notBefore, CommandStatusError error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return ScheduleAsync(delivery, delivery.Attempt + 1, notBefore, error, failed: true, cancellationToken);
    }

    /// <summary>The error code of a command deferred for a reason other than a rate limit (an open breaker).</summary>
    public const string DeferredCode = "deferred";

    /// <summary>Schedules the same attempt again: the wait (a breaker pause) does not count as an attempt. Error code <see cref="DeferredCode"/>.</summary>
    public Task<ScheduleOutcome> DeferAsync(CommandDelivery delivery, string reason, DateTimeOffset notBefore, CancellationToken cancellationToken) =>
        DeferAsync(delivery, new CommandStatusError(DeferredCode, reason), notBefore, cancellationToken);

    /// <summary>Schedules the same attempt again, showing <paramref name="reason"/> (code and message) on the command: the wait does not count as an attempt.</summary>
    public Task<ScheduleOutcome> DeferAsync(CommandDelivery delivery, CommandStatusError reason, DateTimeOffset notBefore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        ArgumentNullException.ThrowIfNull(reason);
        return ScheduleAsync(delivery, delivery.Attempt, notBefore, reason, failed: false, cancellationToken);
    }

    private async Task<ScheduleOutcome> ScheduleAsync(CommandDelivery delivery, int attempt, DateTimeOffset notBefore, CommandStatusError error, bool failed,
        CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (delivery.Profile.Deadline is { } deadline && deadline.At <= notBefore)
        {
            // It could only come back to be expired: expire it now.
            var expired = await store.ExpireAsync(delivery.CommandId, CommandOutcomes.DeadlineExceeded, now, cancellationToken).ConfigureAwait(false);
            if (expired)
            {
                commandMetrics.Completed(delivery.Descriptor.TypeName, CommandOutcome.Expired, delivery.CommandId);
                Log.ExpiredInsteadOfScheduled(logger, delivery.CommandId, delivery.Descriptor.TypeName);
            }

            return expired ? ScheduleOutcome.Expired : ScheduleOutcome.AlreadyFinished;
        }

        var headers = Headers(delivery, attempt);
        if (failed)
        {
            headers.TryAdd(MessageHeaders.FirstFailure, CommandRows.HeaderInstant(now));
        }

        var scheduled = await transactions.RunAsync(async (transaction, token) =>
        {
            if (!await CommandLedger.ScheduleAsync(transaction, delivery.CommandId, delivery.Message.Tenant, attempt - 1, error.Code, error.Message, failed, now,
                    token).ConfigureAwait(false))
            {
                return false;
            }

            await outbox.EnqueueAsync(transaction, new OutboxMessage(delivery.CommandId, delivery.Descriptor.QueueName,
                delivery.Descriptor.MessageType.FullName!, delivery.Body, headers, notBefore), token).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

        if (!scheduled)
        {
            return ScheduleOutcome.AlreadyFinished;
        }

        var delayMs = Math.Max(0, (notBefore - now).TotalMilliseconds);
        if (failed)
        {
            flowMetrics.RetryScheduled(delivery.Descriptor.TypeName, attempt);
            Log.RetryScheduled(logger, delivery.CommandId, delivery.Descriptor.TypeName, attempt, delayMs);
        }
        else
        {
            flowMetrics.Deferred(delivery.Descriptor.TypeName, error.Code);
            Log.Deferred(logger, delivery.CommandId, delivery.Descriptor.TypeName, attempt, delayMs, error.Message);
        }

        return ScheduleOutcome.Scheduled;
    }

    // The command's own headers (tenant, client, type, deadline) with the attempt it will run as, and the
    // current trace context, so the retry continues the command's trace.
    private static Dictionary<string, string> Headers(CommandDelivery delivery, int attempt)
    {
        var headers = delivery.Headers
            .Where(h => h.Key.StartsWith("Messaging-", StringComparison.Ordinal))
            .ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
        headers[MessageHeaders.Attempt] = attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        TraceContextHeaders.AddCurrent(headers);

        return headers;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4010, EventName = "CommandRetryScheduled", Level = LogLevel.Information,
            Message = "Command {CommandId} ({CommandType}) attempt {NextAttempt} scheduled through the outbox in {DelayMs} ms")]
        public static partial void RetryScheduled(ILogger logger, Guid commandId, string commandType, int nextAttempt, double delayMs);

        [LoggerMessage(EventId = 4011, EventName = "CommandDeferred", Level = LogLevel.Information,
            Message = "Command {CommandId} ({CommandType}) deferred without counting an attempt (attempt {Attempt} again in {DelayMs} ms): {Reason}")]
        public static partial void Deferred(ILogger logger, Guid commandId, string commandType, int attempt, double delayMs, string reason);

        [LoggerMessage(EventId = 4012, EventName = "CommandExpiredInsteadOfScheduled", Level = LogLevel.Warning,
            Message = "Command {CommandId} ({CommandType}) expired: its next attempt would come after its deadline")]
        public static partial void ExpiredInsteadOfScheduled(ILogger logger, Guid commandId, string commandType);
    }
}
