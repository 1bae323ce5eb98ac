using System.Diagnostics;
using Messaging.Store.Bus;
using Messaging.Store.FaultInjection;
using Messaging.Store.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Messaging.Store.Outbox;

/// <summary>
/// Delivers committed outbox rows to RabbitMQ. Each pass claims due rows with <c>FOR UPDATE SKIP LOCKED</c>
/// (<see cref="OutboxClaims"/>: several relays share the work without publishing a row twice in the normal case), from
/// both ends of the due order (the oldest, and <see cref="OutboxRelayOptions.NewestShare"/> of the batch newest first),
/// publishes them with publisher confirms, and marks a row sent only after its confirm, in the same transaction that
/// held the claim. A crash between the confirm and the commit publishes the row again later: the workers' inbox absorbs
/// that duplicate. Commands go out on the relay's own RabbitMQ channel with the mandatory flag, as the message
/// MassTransit would have sent, without deserialising their bodies (<see cref="OutboxCommandPublisher"/>); events (rare:
/// a command's fallback) are published through MassTransit, which declares the exchanges of their types
/// (<see cref="OutboxEventPublisher"/>). The two publish a pass's rows at the same time.
/// </summary>
internal sealed partial class OutboxRelay(
    NpgsqlDataSource dataSource,
    OutboxCommandPublisher commandPublisher,
    OutboxEventPublisher eventPublisher,
    CommandTopologyDeclarer topology,
    OutboxSignal signal,
    CommandMetrics metrics,
    IOptionsMonitor<OutboxRelayOptions> options,
    TimeProvider timeProvider,
    CrashPoints crashPoints,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    /// <summary>The source of the relay's spans: the publishers start one a row, each continuing the trace stored in its row.</summary>
    internal static readonly ActivitySource ActivitySource = new(CommandTelemetry.OutboxActivitySourceName);

    private readonly OutboxSignal _backlog = new();
    private long _completedPasses;
    private long _claims;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.CurrentValue.Enabled)
        {
            return;
        }

        // Concurrent passes overlap one pass's database work with another's publishes; SKIP LOCKED keeps them apart.
        // Only the first wakes on commits: the others join when a pass found a full batch (a backlog), so that at
        // lower rates the commits that arrive during a pass still share the next one instead of a pass each.
        var passes = new Task[options.CurrentValue.Concurrency];
        for (var i = 0; i < passes.Length; i++)
        {
            passes[i] = RunPassesAsync(i == 0 ? signal : _backlog, stoppingToken);
        }

        await Task.WhenAll(passes).ConfigureAwait(false);
    }

    private async Task RunPassesAsync(OutboxSignal wakeUp, CancellationToken stoppingToken)
    {
        await Task.Yield();
        var failures = 0;
        var lingers = ReferenceEquals(wakeUp, signal);
        while (!stoppingToken.IsCancellationRequested)
        {
            var current = options.CurrentValue;
            try
            {
                var passStart = timeProvider.GetTimestamp();
                var result = await RelayBatchAsync(current, stoppingToken).ConfigureAwait(false);
                Interlocked.Increment(ref _completedPasses);
                failures = result.Failed > 0 && result.Published == 0 ? failures + 1 : 0;
                if (failures > 0)
                {
                    await Task.Delay(Backoff(failures, current.MaxBackoff), timeProvider, stoppingToken).ConfigureAwait(false);
                }
                else if (result.Claimed < current.BatchSize)
                {
                    // Caught up: sleep until a local commit (or a backlog) signals or the poll interval passes.
                    if (await wakeUp.WaitAsync(current.PollInterval, timeProvider, stoppingToken).ConfigureAwait(false) && lingers
                        && LingerAfterWake(timeProvider.GetElapsedTime(passStart), current.Linger) is { } linger)
                    {
                        await Task.Delay(linger, timeProvider, stoppingToken).ConfigureAwait(false);
                    }
                }
                else
                {
                    // A full batch: there is more, so wake a concurrent pass that sleeps.
                    _backlog.Notify();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The relay must outlive any failure of the database or the broker: log the kind of
                // failure (never its message, which can name hosts) and try again later.
                failures++;
                topology.Invalidate();
                var delay = Backoff(failures, current.MaxBackoff);
                Log.RelayPassFailed(logger, ex.GetType().Name, delay.TotalMilliseconds);
                await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Passes this relay has finished (claimed nothing included). Visible for tests.</summary>
    internal long CompletedPasses => Interlocked.Read(ref _completedPasses);

    /// <summary>
    /// How long a pass that a commit woke waits before it claims: the rest of <paramref name="linger"/> since the last
    /// pass began, or nothing after a quiet spell (null). Visible for tests.
    /// </summary>
    internal static TimeSpan? LingerAfterWake(TimeSpan sinceLastPassStart, TimeSpan linger) =>
        sinceLastPassStart < linger ? linger - sinceLastPassStart : null;

    /// <summary>One pass: claim, publish, mark. Visible for tests.</summary>
    internal async Task<RelayPassResult> RelayBatchAsync(OutboxRelayOptions current, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var (oldest, newest) = OutboxClaims.Split(current.BatchSize, current.NewestShare, Interlocked.Increment(ref _claims) - 1);
        var rows = await OutboxClaims.ClaimAsync(transaction, oldest, newest, timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return default;
        }

        await topology.EnsureDeclaredAsync(cancellationToken).ConfigureAwait(false);
        var outcomes = new string?[rows.Count];
        var events = eventPublisher.PublishAsync(rows, outcomes, current.PublishTimeout, cancellationToken);
        await commandPublisher.PublishAsync(rows, outcomes, current.PublishTimeout, cancellationToken).ConfigureAwait(false);
        await events.ConfigureAwait(false);

        var sent = new List<long>(rows.Count);
        var sentCommands = new List<Guid>(rows.Count);
        var failed = new List<(OutboxRow Row, string Error)>();
        for (var i = 0; i < rows.Count; i++)
        {
            if (outcomes[i] is null)
            {
                sent.Add(rows[i].Id);
                sentCommands.Add(rows[i].CommandId);
            }
            else
            {
                failed.Add((rows[i], outcomes[i]!));
            }
        }

        if (sent.Count > 0)
        {
            crashPoints.Reached(CrashPoints.RelayAfterConfirm);
        }

        var now = timeProvider.GetUtcNow();
        if (sent.Count > 0)
        {
            await OutboxClaims.MarkSentAsync(transaction, sent.ToArray(), sentCommands.ToArray(), now, cancellationToken).ConfigureAwait(false);
        }

        if (failed.Count > 0)
        {
            // The rows stay pending; each is retried after its own growing pause so one bad row cannot hog passes.
            await OutboxClaims.MarkFailedAsync(transaction, failed.Select(f => f.Row.Id).ToArray(), failed.Select(f => f.Error).ToArray(),
                failed.Select(f => now + Backoff(f.Row.PublishAttempts + 1, current.MaxBackoff)).ToArray(), cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < rows.Count; i++)
        {
            if (outcomes[i] is null)
            {
                // Recorded once the row is committed as sent (confirm and commit are a few milliseconds apart).
                metrics.Published(rows[i].Destination, rows[i].IsEvent, rows[i].DueAt);
            }
        }

        if (failed.Count > 0)
        {
            topology.Invalidate();
            Log.PublishFailed(logger, failed.Count, failed[0].Error);
        }

        return new RelayPassResult(rows.Count, sent.Count, failed.Count);
    }

    private static TimeSpan Backoff(int failures, TimeSpan max)
    {
        var exponent = Math.Min(failures, 16);
        var delay = TimeSpan.FromMilliseconds(100 * Math.Pow(2, exponent - 1));
        var capped = delay < max ? delay : max;
        // Jitter (50–100 %) so relays of several gateways do not retry in lockstep.
        return capped * (0.5 + (Random.Shared.NextDouble() / 2));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, EventName = "OutboxRelayPassFailed", Level = LogLevel.Warning,
            Message = "Outbox relay pass failed ({ErrorType}); next pass in {DelayMs} ms")]
        public static partial void RelayPassFailed(ILogger logger, string errorType, double delayMs);

        [LoggerMessage(EventId = 1101, EventName = "OutboxPublishFailed", Level = LogLevel.Warning,
            Message = "Outbox relay could not publish {Count} row(s) ({Error}); they stay pending")]
        public static partial void PublishFailed(ILogger logger, int count, string error);
    }
}

