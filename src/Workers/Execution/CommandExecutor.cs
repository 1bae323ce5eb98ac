using MassTransit;
using Messaging.Contracts.Commands;
using Messaging.Resilience.Deadlines;
using Messaging.Resilience.Telemetry;
using Messaging.Workers.ExternalServices;
using Polly;

namespace Messaging.Workers.Execution;

/// <summary>
/// The steps every command consumer runs around its provider call: inbox check, deadline check,
/// <c>Processing</c> with the attempt counted, the call with a resilience context that carries the
/// deadline (and a token that fires at it), and the terminal status with the inbox row. A consumer only
/// supplies the call; the endpoint's <see cref="ExecutionProfileFilter{TMessage}"/> supplies the profile.
/// </summary>
/// <remarks>
/// Returning from <see cref="ExecuteAsync{TMessage}"/> acks the message, so it returns only after the
/// status is committed. Every status read and write goes through the <c>postgres</c> pipeline
/// (<see cref="CommandStatusStore"/>). A transient failure is thrown, and the endpoint's message retry
/// redelivers it; when those redeliveries are exhausted MassTransit moves the message to the endpoint's
/// <c>_error</c> queue. Delayed retries through the outbox and the dead-letter store replace that
/// last step: they belong in the retry policy of <see cref="CommandConsumerDefinition{TConsumer, TMessage}"/>
/// and in the transient branch below.
/// </remarks>
internal sealed partial class CommandExecutor(CommandStatusStore store, CommandMetrics metrics, TimeProvider timeProvider, ILogger<CommandExecutor> logger)
{
    /// <summary>The error stored on a command whose deadline passed before it ran.</summary>
    internal static readonly CommandError DeadlineExceeded =
        new("deadline_exceeded", "The command's deadline passed before it could be executed.");

    // CancellationTokenSource timers accept at most ~49 days; a provider call never lasts that long.
    private static readonly TimeSpan MaxDeadlineTimer = TimeSpan.FromDays(1);

    /// <summary>Executes one delivery of a command message.</summary>
    /// <param name="context">The delivery, with the <see cref="ExecutionProfile"/> its endpoint's filter added.</param>
    /// <param name="callProvider">
    /// The provider call: a result, a refusal, or a <see cref="ProviderException"/>. It runs with the
    /// resilience context it is given, which carries the command's deadline and the cancellation token.
    /// </param>
    public async Task ExecuteAsync<TMessage>(ConsumeContext<TMessage> context, Func<TMessage, ResilienceContext, Task<ProviderOutcome>> callProvider)
        where TMessage : class, ICommandMessage
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(callProvider);
        if (!context.TryGetPayload<ExecutionProfile>(out var profile))
        {
            throw new InvalidOperationException(
                $"The consume context of {typeof(TMessage).Name} has no {nameof(ExecutionProfile)}: its endpoint must use {nameof(ExecutionProfileFilter<TMessage>)}.");
        }

        var message = context.Message;
        var commandId = message.CommandId;
        var commandType = profile.CommandType;
        var cancellationToken = context.CancellationToken;

        var command = await store.FindAsync(commandId, cancellationToken).ConfigureAwait(false);
        if (command is null)
        {
            // Nothing to execute or to record a status on; redelivering would not change that.
            Log.CommandNotFound(logger, commandId, commandType);
            return;
        }

        if (!string.Equals(command.Tenant, message.Tenant, StringComparison.Ordinal)
            || !string.Equals(profile.Tenant, message.Tenant, StringComparison.Ordinal)
            || !string.Equals(command.Type, commandType, StringComparison.Ordinal))
        {
            // Never execute a command for a tenant (or as a type) other than the stored one.
            Log.CommandDoesNotMatch(logger, commandId, commandType);
            return;
        }

        if (command.AlreadyProcessed)
        {
            Log.CommandAlreadyProcessed(logger, commandId, commandType, command.Status?.ToString() ?? "unknown");
            return;
        }

        var deadline = Earliest(profile.Deadline, command.Deadline is { } stored ? new Deadline(stored) : null);
        if (deadline is { } due && due.HasPassed(timeProvider))
        {
            await ExpireAsync(commandId, commandType, cancellationToken).ConfigureAwait(false);
            return;
        }

        profile = profile with { Deadline = deadline };
        var attempts = await store.StartAttemptAsync(commandId, timeProvider.GetUtcNow(), deadline, cancellationToken).ConfigureAwait(false);
        if (attempts is null)
        {
            // Another delivery finished it between the check and now.
            Log.CommandAlreadyProcessed(logger, commandId, commandType, "terminal");
            return;
        }

        ProviderOutcome outcome;
        using (var deadlineSource = DeadlineSource(deadline))
        using (var callSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadlineSource.Token))
        {
            var resilienceContext = profile.CreateResilienceContext(callSource.Token);
            try
            {
                outcome = await callProvider(message, resilienceContext).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadlineSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                await ExpireAsync(commandId, commandType, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (ProviderException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested
                && (deadlineSource.IsCancellationRequested || deadline?.HasPassed(timeProvider) == true))
            {
                // The pipelines' timeouts are bounded by the deadline, so they may fire just before it: the
                // command ran out of time, and another delivery could only expire it.
                Log.ProviderCallFailed(logger, ex, commandId, commandType, attempts.Value, profile.Attempt, ex.IsTransient);
                await ExpireAsync(commandId, commandType, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (ProviderException ex)
            {
                // Rethrown: the endpoint's retry policy redelivers transient failures and sends the rest to the error queue.
                Log.ProviderCallFailed(logger, ex, commandId, commandType, attempts.Value, profile.Attempt, ex.IsTransient);
                throw;
            }
            finally
            {
                ResilienceContextPool.Shared.Return(resilienceContext);
            }
        }

        // The provider has answered: commit even if the host is stopping, or the answer is lost until a
        // redelivery asks the provider again (its idempotency key makes that safe, but slower).
        var applied = await store.CompleteAsync(commandId, commandType, outcome, timeProvider.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
        if (!applied)
        {
            Log.CommandAlreadyProcessed(logger, commandId, commandType, "terminal");
        }
        else if (outcome.Succeeded)
        {
            metrics.Completed(commandType, CommandOutcome.Succeeded, commandId);
            Log.CommandSucceeded(logger, commandId, commandType, attempts.Value);
        }
        else
        {
            metrics.Completed(commandType, CommandOutcome.Failed, commandId);
            Log.CommandRefused(logger, commandId, commandType, outcome.Refusal!.Code);
        }
    }

    private async Task ExpireAsync(Guid commandId, string commandType, CancellationToken cancellationToken)
    {
        if (await store.ExpireAsync(commandId, DeadlineExceeded, timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            metrics.Completed(commandType, CommandOutcome.Expired, commandId);
            Log.CommandExpired(logger, commandId, commandType);
        }
    }

    private CancellationTokenSource DeadlineSource(Deadline? deadline)
    {
        if (deadline is not { } due)
        {
            return new CancellationTokenSource();
        }

        var remaining = due.Remaining(timeProvider);
        return new CancellationTokenSource(remaining > MaxDeadlineTimer ? MaxDeadlineTimer : remaining, timeProvider);
    }

    private static Deadline? Earliest(Deadline? a, Deadline? b) =>
        a is null ? b : b is null ? a : a.Value.At <= b.Value.At ? a : b;

    private static partial class Log
    {
        [LoggerMessage(EventId = 4000, EventName = "CommandNotFound", Level = LogLevel.Warning,
            Message = "Command {CommandId} ({CommandType}) has no stored row; it cannot be executed and the message is acknowledged")]
        public static partial void CommandNotFound(ILogger logger, Guid commandId, string commandType);

        [LoggerMessage(EventId = 4001, EventName = "CommandDoesNotMatch", Level = LogLevel.Warning,
            Message = "Command {CommandId} ({CommandType}): the message's tenant or type differs from the stored command; it is not executed and the message is acknowledged")]
        public static partial void CommandDoesNotMatch(ILogger logger, Guid commandId, string commandType);

        [LoggerMessage(EventId = 4002, EventName = "CommandAlreadyProcessed", Level = LogLevel.Information,
            Message = "Command {CommandId} ({CommandType}) is already processed ({Status}); the duplicate delivery is acknowledged without a provider call")]
        public static partial void CommandAlreadyProcessed(ILogger logger, Guid commandId, string commandType, string status);

        [LoggerMessage(EventId = 4003, EventName = "CommandExpired", Level = LogLevel.Warning,
            Message = "Command {CommandId} ({CommandType}) expired: its deadline passed before it could be executed")]
        public static partial void CommandExpired(ILogger logger, Guid commandId, string commandType);

        [LoggerMessage(EventId = 4004, EventName = "CommandSucceeded", Level = LogLevel.Information,
            Message = "Command {CommandId} ({CommandType}) succeeded on attempt {Attempts}")]
        public static partial void CommandSucceeded(ILogger logger, Guid commandId, string commandType, int attempts);

        [LoggerMessage(EventId = 4005, EventName = "CommandRefused", Level = LogLevel.Information,
            Message = "Command {CommandId} ({CommandType}) failed: the provider refused it ({ErrorCode})")]
        public static partial void CommandRefused(ILogger logger, Guid commandId, string commandType, string errorCode);

        [LoggerMessage(EventId = 4006, EventName = "ProviderCallFailed", Level = LogLevel.Warning,
            Message = "Command {CommandId} ({CommandType}) attempt {Attempts} (message attempt {MessageAttempt}) failed without an answer; transient: {IsTransient}")]
        public static partial void ProviderCallFailed(ILogger logger, Exception exception, Guid commandId, string commandType, int attempts,
            int messageAttempt, bool isTransient);
    }
}
