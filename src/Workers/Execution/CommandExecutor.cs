using MassTransit;
using Messaging.CommandTypes;
using Messaging.Contracts.Commands;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.DeadLetters;
using Messaging.Resilience.Deadlines;
using Messaging.Resilience.FaultInjection;
using Messaging.Resilience.RateLimiting;
using Messaging.Resilience.Telemetry;
using Messaging.Workers.DeadLetters;
using Messaging.CommandTypes.Providers;
using Microsoft.Extensions.Options;
using Polly;

namespace Messaging.Workers.Execution;

/// <summary>
/// The steps every command consumer runs around its provider call: poison check (headers, validation),
/// inbox check, deadline check, the provider's quota (a short wait, else a deferral without an attempt),
/// <c>Processing</c> with the attempt recorded, the call with a resilience
/// context that carries the deadline (and a token that fires at it), and then by outcome: the terminal
/// status with the inbox row; a delayed retry through the outbox; a deferral without an attempt when the
/// provider's breakers are all open; or a dead letter with the type's fallback. A consumer only supplies
/// the call; the endpoint's <see cref="ExecutionProfileFilter{TMessage}"/> supplies the profile.
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
    CommandTypeRegistry commandTypes,
    IHttpClientFactory httpClients,
    CommandStatusStore store,
    CommandScheduler scheduler,
    DeadLetterWriter deadLetters,
    BreakerRegistry breakers,
    BreakerAwareEndpoints endpoints,
    IOptionsMonitor<CommandTypeOptions> options,
    CommandMetrics metrics,
    RetryBudgets retryBudgets,
    ResilienceMetrics resilienceMetrics,
    ProviderQuota quota,
    IOptionsMonitor<ProviderQuotasOptions> quotaOptions,
    TimeProvider timeProvider,
    CrashPoints crashPoints,
    ILogger<CommandExecutor> logger)
{
    /// <summary>The error stored on a command whose deadline passed before it ran.</summary>
    internal static readonly CommandError DeadlineExceeded =
        new("deadline_exceeded", "The command's deadline passed before it could be executed.");

    /// <summary>The error code of a command deferred because its provider's quota had no permit for it.</summary>
    internal const string RateLimitedCode = "rate_limited";

    /// <summary>Dead letters of messages that cannot be executed as they are (unreadable, invalid, missing headers).</summary>
    internal const string PoisonSource = "poison";

    /// <summary>Dead letters of commands whose every attempt failed transiently.</summary>
    internal const string RetriesExhaustedSource = "retries-exhausted";

    /// <summary>Dead letters of commands the consumer could not execute in a way no retry changes.</summary>
    internal const string ConsumerFaultSource = "consumer-fault";

    // CancellationTokenSource timers accept at most ~49 days; a provider call never lasts that long.
    private static readonly TimeSpan MaxDeadlineTimer = TimeSpan.FromDays(1);

    // Deferred commands come back spread over this much after the probe, not all at once.
    private static readonly TimeSpan DeferralSpread = TimeSpan.FromSeconds(1);

    /// <summary>Executes one delivery of a command message.</summary>
    /// <param name="context">The delivery, with the <see cref="ExecutionProfile"/> its endpoint's filter added.</param>
    /// <param name="handler">
    /// The type's handler: a result, a refusal, or a <see cref="ProviderException"/>. Its context carries the
    /// command's deadline (bounding every timeout of the provider's pipelines) and the cancellation token.
    /// </param>
    public async Task ExecuteAsync<TMessage>(ConsumeContext<TMessage> context, ICommandHandler<TMessage> handler)
        where TMessage : class, ICommandMessage
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        if (!context.TryGetPayload<ExecutionProfile>(out var profile))
        {
            throw new InvalidOperationException(
                $"The consume context of {typeof(TMessage).Name} has no {nameof(ExecutionProfile)}: its endpoint must use {nameof(ExecutionProfileFilter<TMessage>)}.");
        }

        var message = context.Message;
        var commandId = message.CommandId;
        var commandType = profile.CommandType;
        var cancellationToken = context.CancellationToken;
        if (!commandTypes.TryGet(commandType, out var descriptor))
        {
            throw new InvalidOperationException($"'{commandType}' is not a known command type.");
        }

        var delivery = CommandDelivery.From(context, descriptor, profile, scheduler);
        if ((profile.HeaderProblem ?? CommandValidation.Problem(message) ?? handler.Check(message)) is { } problem)
        {
            await DeadLetterAsync(delivery, PoisonSource, problem, exceptionType: null, Math.Max(0, profile.Attempt - 1), cancellationToken)
                .ConfigureAwait(false);
            return;
        }

        var command = await store.FindAsync(commandId, cancellationToken).ConfigureAwait(false);
        if (command is null && DirectlyPublishedCommand.From(context, descriptor, profile, timeProvider.GetUtcNow()) is { } direct)
        {
            // The gateway published this command directly while PostgreSQL was down: its row is created now
            // (from the headers: tenant, client, deadline, idempotency key), and then it runs like any other.
            var holder = await store.CreateIfAbsentAsync(direct, cancellationToken).ConfigureAwait(false);
            Log.DirectCommandRecorded(logger, commandId, commandType);
            if (holder is { } earlier)
            {
                // The tenant's idempotency key already stood for another command (used before the outage, so the
                // gateway could not see it): that one is the command; this duplicate is not executed.
                Log.DirectCommandDuplicate(logger, commandId, commandType, earlier);
                await store.CompleteAsync(commandId, commandType, CommandResult.Refused(new CommandError("duplicate_request",
                    $"The Idempotency-Key was already used for command {earlier}; this request was not executed.")), timeProvider.GetUtcNow(),
                    cancellationToken).ConfigureAwait(false);
                return;
            }

            command = await store.FindAsync(commandId, cancellationToken).ConfigureAwait(false);
        }

        if (command is null)
        {
            // Nothing to execute or to record a status on; redelivering would not change that.
            Log.CommandNotFound(logger, commandId, commandType);
            return;
        }

        if (!string.Equals(command.Tenant, message.Tenant, StringComparison.Ordinal)
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
        delivery.Profile = profile;

        // Before the attempt is recorded: a command the quota holds back is not an attempt and calls nothing.
        if (!await AcquireQuotaAsync(delivery, deadline, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var attempts = await store.StartAttemptAsync(commandId, profile.Attempt, timeProvider.GetUtcNow(), deadline, cancellationToken).ConfigureAwait(false);
        if (attempts is null)
        {
            // Another delivery finished it, or this is a stale duplicate of an attempt already made.
            Log.CommandAlreadyProcessed(logger, commandId, commandType, "finished, or a later attempt is under way");
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
                await ExpireAsync(commandId, commandType, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (ProviderException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested
                && (deadlineSource.IsCancellationRequested || deadline?.HasPassed(timeProvider) == true))
            {
                // The pipelines' timeouts are bounded by the deadline, so they may fire just before it: the
                // command ran out of time, and another attempt could only expire it.
                Log.ProviderCallFailed(logger, ex, commandId, commandType, attempts.Value, profile.Attempt, ex.IsTransient);
                await ExpireAsync(commandId, commandType, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (ProviderException ex) when (!cancellationToken.IsCancellationRequested)
            {
                Log.ProviderCallFailed(logger, ex, commandId, commandType, attempts.Value, profile.Attempt, ex.IsTransient);
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
        var applied = await store.CompleteAsync(commandId, commandType, outcome, timeProvider.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
        crashPoints.Reached(CrashPoints.WorkerAfterStatusCommit);
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

    // The provider's quota (global and the tenant's share, one atomic decision in Redis for every worker, and
    // paused by the provider's own 429): wait inline up to the provider's MaxWait, never past the deadline; when
    // no permit comes in that time, the command goes back through the outbox as the same attempt, due when the
    // quota will have a permit for it. Unconfigured providers answer at once, without Redis.
    private async Task<bool> AcquireQuotaAsync(CommandDelivery delivery, Deadline? deadline, CancellationToken cancellationToken)
    {
        var provider = delivery.Descriptor.Provider;
        var maxWait = quotaOptions.CurrentValue.Providers.TryGetValue(provider, out var providerQuota) ? providerQuota.MaxWait : TimeSpan.Zero;
        if (deadline is { } due && due.Remaining(timeProvider) is var left && left < maxWait)
        {
            maxWait = left;
        }

        var decision = await quota.AcquireAsync(provider, delivery.Message.Tenant, maxWait, cancellationToken).ConfigureAwait(false);
        if (decision.IsAllowed)
        {
            return true;
        }

        var retryAt = timeProvider.GetUtcNow() + decision.RetryAfter;
        Log.CommandRateLimited(logger, delivery.CommandId, delivery.Descriptor.TypeName, provider, decision.RetryAfter.TotalMilliseconds,
            decision.Source == RateLimitSource.Redis ? "redis" : "local");
        await delivery.DeferAsync(
            new CommandError(RateLimitedCode, $"The {provider} provider's rate limit has no permit for the command now; it runs when one is free."),
            retryAt, cancellationToken).ConfigureAwait(false);
        return false;
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
        if (!ex.IsTransient)
        {
            await DeadLetterAsync(delivery, ConsumerFaultSource,
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
            await DeadLetterAsync(delivery, RetriesExhaustedSource,
                $"The {ex.Provider} provider failed on all {attempt} attempts (last: {ex.Reason}).", exceptionType, attempt, cancellationToken).ConfigureAwait(false);
            return;
        }

        var delay = RetrySchedule.DelayBefore(attempt + 1, typeOptions.Retry, ex.RetryAfter, Random.Shared.NextDouble());
        if (!retryBudgets.For(descriptor.Provider).TryWithdrawRetry())
        {
            // The provider's retry budget is shared with the HTTP layer's retries and failover: when it is
            // spent, the command is not lost and not dead-lettered, it waits the longest step instead of
            // joining a retry storm.
            resilienceMetrics.RetryBudgetExhausted.Add(1, new KeyValuePair<string, object?>("messaging.resilience.dependency", descriptor.Provider));
            delay = delay > typeOptions.Retry.MaxDelay ? delay : typeOptions.Retry.MaxDelay;
        }

        await scheduler.RetryAsync(delivery, now + delay,
            new CommandError("provider_unavailable", $"The {ex.Provider} provider failed ({ex.Reason}); attempt {attempt + 1} is scheduled."),
            cancellationToken).ConfigureAwait(false);
    }

    // Every breaker of the provider (one per endpoint) is open or isolated.
    private bool IsDown(string provider)
    {
        var own = breakers.Snapshot().Where(b => BreakerAwareEndpoint.DependencyOf(b.Name) == provider).ToList();
        return own.Count > 0 && own.All(b => b.State is BreakerState.Open or BreakerState.Isolated);
    }

    private async Task DeadLetterAsync(CommandDelivery delivery, string source, string reason, string? exceptionType, int attempts,
        CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var letter = new DeadLetter(delivery.CommandId, delivery.Message.Tenant, delivery.Descriptor.TypeName, delivery.Body, delivery.Headers,
            attempts, now, now, exceptionType, reason, source);
        await deadLetters.RecordAsync(letter, delivery.Message, cancellationToken).ConfigureAwait(false);
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

        [LoggerMessage(EventId = 4008, EventName = "DirectCommandRecorded", Level = LogLevel.Information,
            Message = "Command {CommandId} ({CommandType}) was published directly by the gateway while PostgreSQL was down; its status row is recorded now")]
        public static partial void DirectCommandRecorded(ILogger logger, Guid commandId, string commandType);

        [LoggerMessage(EventId = 4009, EventName = "DirectCommandDuplicate", Level = LogLevel.Warning,
            Message = "Command {CommandId} ({CommandType}) reused an idempotency key of command {EarlierCommandId}; it is marked Failed and not executed")]
        public static partial void DirectCommandDuplicate(ILogger logger, Guid commandId, string commandType, Guid earlierCommandId);

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

        [LoggerMessage(EventId = 4040, EventName = "CommandRateLimited", Level = LogLevel.Information,
            Message = "Command {CommandId} ({CommandType}) is held back by the {Provider} provider's quota (decided on {Source}); it is deferred by {RetryAfterMs} ms without a provider call or an attempt")]
        public static partial void CommandRateLimited(ILogger logger, Guid commandId, string commandType, string provider, double retryAfterMs, string source);
    }
}
