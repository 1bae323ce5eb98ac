using MassTransit;
using Messaging.CommandTypes;
using Messaging.Contracts.Commands;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.Deadlines;
using Messaging.Resilience;
using Messaging.Store.FaultInjection;
using Messaging.CommandTypes.Providers;
using Messaging.Store.Telemetry;
using Microsoft.Extensions.Options;
using Polly;

namespace Messaging.Workers.Execution;

/// <summary>
/// The last step of every command, after the endpoint's filters (breaker gate, execution profile, poison
/// check, inbox, deadline, provider quota: see <see cref="CommandConsumerDefinition{TMessage}"/>): records the
/// attempt (<c>Processing</c>), calls the type's handler with a context that carries the deadline (and a token
/// that fires at it), and records the outcome: the terminal status; a delayed retry through
/// the outbox; a deferral without an attempt when the provider's breakers are all open; or a dead letter with
/// the type's fallback.
/// </summary>
/// <remarks>
/// Returning from <see cref="ExecuteAsync{TMessage}"/> acks the message, so it returns only after the
/// outcome is committed (status, outbox row, dead letter). Every read and write goes through the
/// <c>postgres</c> pipeline; when PostgreSQL is unreachable the exception leaves the executor, and the
/// endpoint's <see cref="Flow.BreakerAwareConsumeFilter{TMessage}"/> holds the message until it can run
/// again. Nothing is retried by MassTransit: after the provider pipeline's immediate retries, retries are
/// the outbox's (<c>Commands:Types:&lt;type&gt;:Retry</c>).
/// </remarks>
internal sealed partial class CommandExecutor(
    IHttpClientFactory httpClients,
    CommandStatusStore store,
    CommandScheduler scheduler,
    CommandOutcomes outcomes,
    BreakerRegistry breakers,
    BreakerAwareEndpoints endpoints,
    IOptionsMonitor<CommandTypeOptions> options,
    CommandMetrics metrics,
    RetryBudgets retryBudgets,
    ResilienceMetrics resilienceMetrics,
    TimeProvider timeProvider,
    CrashPoints crashPoints,
    ILogger<CommandExecutor> logger)
{
    // CancellationTokenSource timers accept at most ~49 days; a provider call never lasts that long.
    private static readonly TimeSpan MaxDeadlineTimer = TimeSpan.FromDays(1);

    // Deferred commands come back spread over this much after the probe, not all at once.
    private static readonly TimeSpan DeferralSpread = TimeSpan.FromSeconds(1);

    /// <summary>Executes one delivery of a command message that passed the endpoint's steps.</summary>
    /// <param name="context">The delivery, with the <see cref="CommandDelivery"/> the endpoint's filters added.</param>
    /// <param name="handler">
    /// The type's handler: a result, a refusal, or a <see cref="ProviderException"/>. Its context carries the
    /// command's deadline (bounding every timeout of the provider's pipelines) and the cancellation token.
    /// </param>
    public async Task ExecuteAsync<TMessage>(ConsumeContext<TMessage> context, ICommandHandler<TMessage> handler)
        where TMessage : class, ICommandMessage
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        if (!context.TryGetPayload<CommandDelivery>(out var delivery))
        {
            throw new InvalidOperationException(
                $"The consume context of {typeof(TMessage).Name} has no {nameof(CommandDelivery)}: its endpoint must run the command steps ({nameof(CommandConsumerDefinition<TMessage>)}).");
        }

        var message = context.Message;
        var commandId = message.CommandId;
        var profile = delivery.Profile;
        var descriptor = delivery.Descriptor;
        var commandType = descriptor.TypeName;
        var deadline = profile.Deadline;
        var cancellationToken = context.CancellationToken;
        var attempts = await store.StartAttemptAsync(commandId, profile.Attempt, timeProvider.GetUtcNow(), deadline, cancellationToken).ConfigureAwait(false);
        if (attempts is null)
        {
            // Another delivery finished it, or this is a stale duplicate of an attempt already made.
            Log.CommandFinishedElsewhere(logger, commandId, commandType, "finished, or a later attempt is under way");
            return;
        }

        CommandResult outcome;
        using (var deadlineSource = DeadlineSource(deadline))
        using (var callSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadlineSource.Token))
        {
            var resilienceContext = profile.CreateResilienceContext(callSource.Token);
            try
            {
                var handlerContext = new CommandContext(commandId, message.Tenant, descriptor.TypeName, profile.Attempt, deadline?.At,
                    descriptor.Provider, httpClients.CreateClient(descriptor.Provider), resilienceContext);
                outcome = await handler.HandleAsync(message, handlerContext).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadlineSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                await outcomes.ExpireAsync(commandId, commandType, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (ProviderException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested
                && (deadlineSource.IsCancellationRequested || deadline?.HasPassed(timeProvider) == true))
            {
                // The pipelines' timeouts are bounded by the deadline, so they may fire just before it: the
                // command ran out of time, and another attempt could only expire it.
                Log.ProviderCallFailed(logger, ex, commandId, commandType, attempts.Value, profile.Attempt, ex.IsTransient);
                await outcomes.ExpireAsync(commandId, commandType, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (ProviderException ex) when (!cancellationToken.IsCancellationRequested)
            {
                if (!ex.IsDeferral)
                {
                    // A deferral sent nothing: the scheduler logs it (CommandDeferred), without a failure's warning.
                    Log.ProviderCallFailed(logger, ex, commandId, commandType, attempts.Value, profile.Attempt, ex.IsTransient);
                }

                await HandleFailureAsync(delivery, ex, cancellationToken).ConfigureAwait(false);
                return;
            }
            finally
            {
                ResilienceContextPool.Shared.Return(resilienceContext);
            }
        }

        // The provider has answered: commit even if the host is stopping, or the answer is lost until a
        // redelivery asks the provider again (its idempotency key makes that safe, but slower).
        crashPoints.Reached(CrashPoints.WorkerAfterProviderCall);
        var applied = await store.CompleteAsync(commandId, outcome, timeProvider.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
        crashPoints.Reached(CrashPoints.WorkerAfterStatusCommit);
        if (!applied)
        {
            Log.CommandFinishedElsewhere(logger, commandId, commandType, "terminal");
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

    // A provider call ended without an answer: defer it (breakers all open: no attempt counted), retry it
    // later through the outbox, or dead-letter it (attempts exhausted, or nothing a retry could change).
    private async Task HandleFailureAsync(CommandDelivery delivery, ProviderException ex, CancellationToken cancellationToken)
    {
        var descriptor = delivery.Descriptor;
        var attempt = delivery.Attempt;
        var now = timeProvider.GetUtcNow();
        var typeOptions = options.Get(descriptor.TypeName);
        var exceptionType = (ex.InnerException ?? ex).GetType().FullName;
        if (ex.IsDeferral)
        {
            // No request was sent: the target's own limit (one callback origin's breaker or concurrency) refused it for now.
            var spread = TimeSpan.FromMilliseconds(DeferralSpread.TotalMilliseconds * Random.Shared.NextDouble());
            await scheduler.DeferAsync(delivery, $"The {ex.Provider} provider's target cannot take the call now ({ex.Reason}); the command waits.",
                now + (ex.RetryAfter ?? typeOptions.Flow.DefaultProbeDelay) + spread, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!ex.IsTransient)
        {
            await outcomes.DeadLetterAsync(delivery, CommandOutcomes.ConsumerFaultSource,
                $"The {ex.Provider} provider did not accept the call ({ex.Reason}); retrying would not change that.", exceptionType, attempt,
                cancellationToken).ConfigureAwait(false);
            return;
        }

        if (ex.RejectedByBreaker && IsDown(descriptor.Provider))
        {
            // No call was made: the provider is down as a whole and the endpoint is pausing. The command
            // comes back after the break, as the same attempt.
            var probeAt = endpoints.TryGet(descriptor.QueueName, out var endpoint) && endpoint.ProbeAt is { } at && at > now
                ? at
                : now + typeOptions.Flow.DefaultProbeDelay;
            var spread = TimeSpan.FromMilliseconds(DeferralSpread.TotalMilliseconds * Random.Shared.NextDouble());
            await scheduler.DeferAsync(delivery, $"The {ex.Provider} provider's circuit breakers are open; the command waits for it to recover.",
                probeAt + spread, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (attempt >= typeOptions.Retry.MaxAttempts)
        {
            await outcomes.DeadLetterAsync(delivery, CommandOutcomes.RetriesExhaustedSource,
                $"The {ex.Provider} provider failed on all {attempt} attempts (last: {ex.Reason}).", exceptionType, attempt, cancellationToken).ConfigureAwait(false);
            return;
        }

        var delay = RetrySchedule.DelayBefore(attempt + 1, typeOptions.Retry, ex.RetryAfter, Random.Shared.NextDouble());
        if (typeOptions.Retry.MaxRetryPeriod is { } period && RetrySchedule.FirstFailure(delivery.Headers, now) + period < now + delay)
        {
            await outcomes.DeadLetterAsync(delivery, CommandOutcomes.RetriesExhaustedSource,
                $"The {ex.Provider} provider failed for {period} after the first failure, on {attempt} attempts (last: {ex.Reason}).", exceptionType, attempt,
                cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!retryBudgets.For(descriptor.Provider).TryWithdrawRetry())
        {
            // The provider's retry budget is shared with the HTTP layer's retries and failover: when it is
            // spent, the command is not lost and not dead-lettered, it waits the longest step instead of
            // joining a retry storm.
            resilienceMetrics.RecordRetryBudgetExhausted(descriptor.Provider);
            delay = delay > typeOptions.Retry.MaxDelay ? delay : typeOptions.Retry.MaxDelay;
        }

        await scheduler.RetryAsync(delivery, now + delay,
            new CommandStatusError("provider_unavailable", $"The {ex.Provider} provider failed ({ex.Reason}); attempt {attempt + 1} is scheduled."),
            cancellationToken).ConfigureAwait(false);
    }

    // Every breaker of the provider (one per endpoint) is open or isolated.
    private bool IsDown(string provider)
    {
        var own = breakers.Snapshot().Where(b => BreakerAwareEndpoint.DependencyOf(b.Name) == provider).ToList();
        return own.Count > 0 && own.All(b => b.State is BreakerState.Open or BreakerState.Isolated);
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

    private static partial class Log
    {
        [LoggerMessage(EventId = 4010, EventName = "CommandFinishedElsewhere", Level = LogLevel.Information,
            Message = "Command {CommandId} ({CommandType}) was finished by another delivery ({Status}); this one is acknowledged without recording an outcome")]
        public static partial void CommandFinishedElsewhere(ILogger logger, Guid commandId, string commandType, string status);

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
