using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using MassTransit;
using Messaging.Resilience.Bus;
using Messaging.Resilience.FaultInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.Telemetry;
using Npgsql;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Timeout;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using PublishException = RabbitMQ.Client.Exceptions.PublishException;

namespace Messaging.Resilience.Outbox;

/// <summary>
/// Delivers committed outbox rows to RabbitMQ. Rows are leased, not locked: a claim commits
/// <c>claimed_until</c> (now + <see cref="OutboxRelayOptions.LeaseDuration"/>) on due, unsent rows that no other relay
/// holds (<c>FOR UPDATE SKIP LOCKED</c> for the instant of the claim), so several relays share the work without
/// publishing a row twice in the normal case. The relay keeps up to <see cref="OutboxRelayOptions.MaxInFlight"/> messages
/// published and awaiting their confirms, claims the next rows as confirms arrive, and marks rows sent in batches, each
/// only after its confirm. A failed publish releases its row with a growing <c>not_before</c>. A crash (or a stall past the
/// lease) leaves the rows to any relay once their lease expires: the workers' inbox absorbs that duplicate, as it does
/// for a crash between a confirm and the mark. Commands go out on the relay's own RabbitMQ channel
/// (<see cref="RelayChannel"/>) with the mandatory flag, as the message MassTransit would have sent
/// (<see cref="MassTransitEnvelope"/>), without deserialising their bodies; events (rare: a command's fallback)
/// are published through MassTransit, which declares the exchanges of their types.
/// </summary>
internal sealed partial class OutboxRelay(
    NpgsqlDataSource dataSource,
    IBus bus,
    RelayChannel relayChannel,
    CommandTopologyDeclarer topology,
    OutboxSignal signal,
    ResiliencePipelineProvider<string> pipelines,
    CommandMetrics metrics,
    IOptionsMonitor<OutboxRelayOptions> options,
    TimeProvider timeProvider,
    CrashPoints crashPoints,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    internal static readonly ActivitySource ActivitySource = new(MessagingTelemetry.Outbox);
    private static readonly JsonSerializerOptions BodyJson = new(JsonSerializerDefaults.Web);
    private static readonly Dictionary<string, Type> EventTypes =
        Contracts.Events.EventCatalog.All.ToDictionary(t => t.FullName!, t => t, StringComparer.Ordinal);

    private static readonly JsonWriterOptions EnvelopeJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // A command row's outcome before its publish answered (replaced by null, sent, or by the reason it was not).
    private const string NotPublished = "not published";

    // Batches whose publishes all answered, waiting to be marked (sent or released).
    private readonly OutboxSignal _backlog = new();
    private readonly Channel<RelayBatch> _answered = Channel.CreateUnbounded<RelayBatch>(new UnboundedChannelOptions { SingleReader = true });
    private MassTransitEnvelope? _envelope;

    // Consecutive batches in which nothing reached the broker (it or the connection failed): the claims back off.
    private int _brokerFailures;

    // Claims running now, and claims started so far (to tell whether a claim overlapped another).
    private int _claiming;
    private long _claimsStarted;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.CurrentValue.Enabled)
        {
            return;
        }

        await Task.Yield();
        var marks = MarkAnsweredAsync(stoppingToken);
        using var window = new SemaphoreSlim(options.CurrentValue.MaxInFlight);
        // Concurrent claims overlap one claim's round trip with another's. Only the first wakes on commits: the others join
        // when a claim found as many rows as it asked for (a backlog), so that at lower rates the commits that arrive
        // during a claim still share the next one.
        var claimers = new Task<List<Task>>[options.CurrentValue.Concurrency];
        var leastShare = options.CurrentValue.MaxInFlight / (2 * claimers.Length);
        for (var i = 0; i < claimers.Length; i++)
        {
            claimers[i] = ClaimAndPublishAsync(window, leastShare, i == 0 ? signal : _backlog, stoppingToken);
        }

        // Stopping: no new claims. Publishes in flight end with their confirms (or their timeout), and what they
        // answered is marked before the relay stops; anything left unmarked is published again after its lease.
        foreach (var claimer in claimers)
        {
            await Task.WhenAll(await claimer.ConfigureAwait(false)).ConfigureAwait(false);
        }

        _answered.Writer.TryComplete();
        await marks.ConfigureAwait(false);
    }

    // Claims as many rows as publishes may start (up to a batch), publishes them without waiting for their confirms, and
    // goes on claiming as confirms free the window: the broker sees a steady stream, as B2's does (docs/benchmarks.md).
    // Returns the publishes still in flight when it stopped.
    private async Task<List<Task>> ClaimAndPublishAsync(SemaphoreSlim window, int leastShare, OutboxSignal wakeUp, CancellationToken stoppingToken)
    {
        await Task.Yield();
        var inFlight = new List<Task>();
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var current = options.CurrentValue;
            try
            {
                if (Volatile.Read(ref _brokerFailures) is > 0 and var brokerFailures)
                {
                    await Task.Delay(Backoff(brokerFailures, current.MaxBackoff), timeProvider, stoppingToken).ConfigureAwait(false);
                }

                // At least a share of the window (so that a backlog is claimed in batches worth a round trip, not a few rows
                // at a time); then whatever else is free, up to a batch. Free places are there at once unless the window is
                // full, i.e. in a backlog. The claims' shares together leave half of the window, so they never starve.
                var least = Math.Max(1, Math.Min(current.BatchSize, leastShare));
                var slots = 0;
                try
                {
                    for (; slots < least; slots++)
                    {
                        await window.WaitAsync(stoppingToken).ConfigureAwait(false);
                    }
                }
                catch when (slots > 0)
                {
                    window.Release(slots);
                    throw;
                }

                while (slots < current.BatchSize && window.Wait(0, CancellationToken.None))
                {
                    slots++;
                }

                List<OutboxRow> rows;
                // A claim that overlapped another can come back short because the other leased the rows it reached for
                // first: that is no sign that the relay caught up.
                var overlapped = Interlocked.Increment(ref _claiming) > 1;
                var started = Interlocked.Increment(ref _claimsStarted);
                try
                {
                    rows = await ClaimAsync(slots, current, stoppingToken).ConfigureAwait(false);
                }
                catch
                {
                    window.Release(slots);
                    throw;
                }
                finally
                {
                    overlapped |= Volatile.Read(ref _claimsStarted) != started;
                    Interlocked.Decrement(ref _claiming);
                }

                failures = 0;
                if (rows.Count < slots)
                {
                    window.Release(slots - rows.Count);
                }

                if (rows.Count > 0)
                {
                    inFlight.RemoveAll(t => t.IsCompleted);
                    inFlight.Add(PublishAndQueueAsync(rows, window, current));
                }

                if (rows.Count == 0 || (rows.Count < slots && !overlapped))
                {
                    // Caught up: sleep until a local commit (or a backlog) signals or the poll interval passes.
                    await wakeUp.WaitAsync(current.PollInterval, timeProvider, stoppingToken).ConfigureAwait(false);
                }
                else
                {
                    // As many rows as asked for: there is more, so wake a concurrent claim that sleeps.
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
                var delay = Backoff(failures, current.MaxBackoff);
                Log.RelayPassFailed(logger, ex.GetType().Name, delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
            }
        }

        return inFlight;
    }

    private async Task PublishAndQueueAsync(List<OutboxRow> rows, SemaphoreSlim window, OutboxRelayOptions current)
    {
        RelayBatch batch;
        try
        {
            batch = await PublishAsync(rows, current, window).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Not expected (every failure of a publish is its row's outcome); the rows go again after their lease.
            Log.RelayPassFailed(logger, ex.GetType().Name, current.LeaseDuration.TotalMilliseconds);
            return;
        }

        var published = batch.Outcomes.Count(o => o is null);
        if (published > 0)
        {
            Volatile.Write(ref _brokerFailures, 0);
        }
        else if (batch.BrokerFailed)
        {
            Interlocked.Increment(ref _brokerFailures);
        }

        _answered.Writer.TryWrite(batch);
    }

    // Marks answered batches, several at once when they queue up: sent rows (and their commands Dispatched) and
    // released rows in one transaction. A failure keeps them for the next attempt; their leases protect them meanwhile.
    private async Task MarkAnsweredAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var pending = new List<RelayBatch>();
        var failures = 0;
        while (pending.Count > 0 || await _answered.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (_answered.Reader.TryRead(out var batch))
            {
                pending.Add(batch);
            }

            var current = options.CurrentValue;
            try
            {
                // Stopping: one last attempt, not cancelled by the stop, so that what the broker confirmed is recorded.
                await MarkAsync(pending, current, CancellationToken.None).ConfigureAwait(false);
                pending.Clear();
                failures = 0;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures++;
                var delay = Backoff(failures, current.MaxBackoff);
                Log.RelayPassFailed(logger, ex.GetType().Name, delay.TotalMilliseconds);
                if (stoppingToken.IsCancellationRequested)
                {
                    // Unmarked rows are published again once their leases expire (the inbox absorbs the duplicates).
                    pending.Clear();
                    continue;
                }

                try
                {
                    await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopping: the next attempt is the last.
                }
            }
        }
    }

    /// <summary>One pass, claim, publish (awaiting every confirm), mark: what the relay does, in sequence. Visible for tests.</summary>
    internal async Task<RelayPassResult> RelayBatchAsync(OutboxRelayOptions current, CancellationToken cancellationToken)
    {
        var rows = await ClaimAsync(current.BatchSize, current, cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return default;
        }

        var batch = await PublishAsync(rows, current, window: null).ConfigureAwait(false);
        return await MarkAsync([batch], current, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Publishes claimed rows and waits for every answer (confirm, nack, return or timeout). Each command frees its place
    /// in <paramref name="window"/> as its answer arrives. Marks nothing. Visible for tests.
    /// </summary>
    internal async Task<RelayBatch> PublishAsync(List<OutboxRow> rows, OutboxRelayOptions current, SemaphoreSlim? window)
    {
        var outcomes = new string?[rows.Count];
        var slots = new WindowSlots(window, rows.Count);
        var brokerFailed = false;
        try
        {
            try
            {
                await topology.EnsureDeclaredAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Array.Fill(outcomes, ex.GetType().Name);
                return new RelayBatch(rows, outcomes, BrokerFailed: true);
            }

            var events = PublishEventsAsync(rows, outcomes, current.PublishTimeout, CancellationToken.None);
            brokerFailed = await PublishCommandsAsync(rows, outcomes, slots, current.PublishTimeout).ConfigureAwait(false);
            await events.ConfigureAwait(false);
            return new RelayBatch(rows, outcomes, brokerFailed);
        }
        finally
        {
            slots.ReleaseAll();
        }
    }

    /// <summary>
    /// Records answered batches in one transaction: a confirmed row is marked sent (its command <c>Dispatched</c>); any
    /// other is released with a growing <c>not_before</c>, unless its lease passed to another relay meanwhile. Visible for tests.
    /// </summary>
    internal async Task<RelayPassResult> MarkAsync(IReadOnlyList<RelayBatch> batches, OutboxRelayOptions current, CancellationToken cancellationToken)
    {
        var claimed = 0;
        var sent = new List<long>();
        var sentCommands = new List<Guid>();
        var failed = new List<(OutboxRow Row, string Error)>();
        foreach (var batch in batches)
        {
            claimed += batch.Rows.Count;
            for (var i = 0; i < batch.Rows.Count; i++)
            {
                if (batch.Outcomes[i] is { } error)
                {
                    failed.Add((batch.Rows[i], error));
                }
                else
                {
                    sent.Add(batch.Rows[i].Id);
                    sentCommands.Add(batch.Rows[i].CommandId);
                }
            }
        }

        if (sent.Count > 0)
        {
            crashPoints.Reached(CrashPoints.RelayAfterConfirm);
        }

        var now = timeProvider.GetUtcNow();
        // One round trip: the statements of one command run in one implicit transaction.
        await using var mark = dataSource.CreateCommand();
        var sql = new System.Text.StringBuilder();
        if (sent.Count > 0)
        {
            sql.Append(
                """
                UPDATE outbox SET sent_at = @now, publish_attempts = publish_attempts + 1, last_error = NULL WHERE id = ANY(@ids) AND sent_at IS NULL;
                UPDATE commands SET status = 'Dispatched', updated_at = @now WHERE id = ANY(@commands) AND status = 'Accepted';

                """);
            mark.Parameters.AddWithValue("ids", sent.ToArray());
            mark.Parameters.AddWithValue("commands", sentCommands.ToArray());
        }

        if (failed.Count > 0)
        {
            // The rows stay pending; each is retried after its own growing pause so one bad row cannot hog the relay.
            // A row whose lease another relay took over (this one stalled past it) is left to that relay.
            sql.Append(
                """
                UPDATE outbox SET publish_attempts = publish_attempts + 1, last_error = f.error, not_before = f.retry_at, claimed_until = NULL
                FROM unnest(@failed, @errors, @retry_ats, @leases) AS f(id, error, retry_at, lease)
                WHERE outbox.id = f.id AND outbox.sent_at IS NULL AND outbox.claimed_until = f.lease;
                """);
            mark.Parameters.AddWithValue("failed", failed.Select(f => f.Row.Id).ToArray());
            mark.Parameters.AddWithValue("errors", failed.Select(f => f.Error).ToArray());
            mark.Parameters.AddWithValue("retry_ats", failed.Select(f => now + Backoff(f.Row.PublishAttempts + 1, current.MaxBackoff)).ToArray());
            mark.Parameters.AddWithValue("leases", failed.Select(f => f.Row.ClaimedUntil).ToArray());
        }

        if (sql.Length == 0)
        {
            return default;
        }

        mark.CommandText = sql.ToString();
        mark.Parameters.AddWithValue("now", now);
        await mark.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        foreach (var batch in batches)
        {
            for (var i = 0; i < batch.Rows.Count; i++)
            {
                if (batch.Outcomes[i] is null)
                {
                    // Recorded once the row is committed as sent (confirm and commit are a few milliseconds apart).
                    metrics.Published(batch.Rows[i].Destination, batch.Rows[i].IsEvent, batch.Rows[i].DueAt);
                }
            }
        }

        if (failed.Count > 0)
        {
            topology.Invalidate();
            Log.PublishFailed(logger, failed.Count, failed[0].Error);
        }

        return new RelayPassResult(claimed, sent.Count, failed.Count);
    }

    /// <summary>
    /// Leases up to <paramref name="limit"/> available rows (unsent, due, and not leased or their lease expired) until now
    /// + <see cref="OutboxRelayOptions.LeaseDuration"/>, in the order they became available. Visible for tests.
    /// </summary>
    internal async Task<List<OutboxRow>> ClaimAsync(int limit, OutboxRelayOptions current, CancellationToken cancellationToken)
    {
        // GREATEST(not_before, claimed_until) (NULL leases ignored) is when a row becomes available; the partial index
        // outbox_available holds unsent rows in that order, so the claim reads just the rows it takes (0004_outbox_lease.sql).
        // Sorting is off for the claim: statistics that predate a backlog (the outbox grew since the last analyse, as during
        // a broker outage) otherwise make the planner read and sort every pending row instead of reading the index in order
        // (docs/benchmarks.md). The lease needs no durable commit: lost in a database crash, it costs at most a duplicate
        // (absorbed by the inbox), and marking a row sent flushes it anyway. One round trip: the statements of one command
        // run in one implicit transaction.
        var now = timeProvider.GetUtcNow();
        // PostgreSQL keeps microseconds: the lease is kept as stored, so that releasing a row can compare it.
        var lease = now + current.LeaseDuration;
        lease = lease.AddTicks(-(lease.Ticks % 10));
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var claim = new NpgsqlCommand(
            """
            SET LOCAL enable_sort = off;
            SET LOCAL synchronous_commit = off;
            UPDATE outbox AS o SET claimed_until = @lease
            FROM (SELECT id FROM outbox
                  WHERE sent_at IS NULL AND GREATEST(not_before, claimed_until) <= @now
                  ORDER BY GREATEST(not_before, claimed_until), id
                  LIMIT @limit
                  FOR UPDATE SKIP LOCKED) AS available
            WHERE o.id = available.id
            RETURNING o.id, o.command_id, o.destination, o.message_type, o.body, o.headers, o.publish_attempts, o.kind,
                      GREATEST(o.created_at, o.not_before)
            """, connection);
        claim.Parameters.AddWithValue("now", now);
        claim.Parameters.AddWithValue("lease", lease);
        claim.Parameters.AddWithValue("limit", limit);
        // Prepared once per pooled connection (Npgsql keeps it): planning was a third of a claim. The plan cannot turn to
        // a sort: sorting is off whenever the claim is planned.
        await claim.PrepareAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<OutboxRow>(limit);
        // Body and headers are read as the UTF-8 JSON text of the jsonb (Npgsql strips the binary format's version byte):
        // they go into the envelope as they are, with no round trip through a UTF-16 string.
        await using var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new OutboxRow(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                reader.GetFieldValue<byte[]>(4), reader.GetFieldValue<byte[]>(5), reader.GetInt32(6), reader.GetString(7) == "event",
                reader.GetFieldValue<DateTimeOffset>(8), lease));
        }

        // RETURNING has no order: publish in insertion order.
        rows.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return rows;
    }

    /// <summary>
    /// Publishes the batch's commands on the relay's channel, all at once, and waits for their confirms: one execution
    /// of the <c>rabbitmq</c> pipeline per batch, so its breaker counts batches. A batch counts as failed when the broker
    /// or the connection failed (closed, nacked, no confirm in time); a returned (unroutable) command fails only its own row.
    /// </summary>
    /// <returns>Whether the broker or the connection failed.</returns>
    private async Task<bool> PublishCommandsAsync(List<OutboxRow> rows, string?[] outcomes, WindowSlots slots, TimeSpan timeout)
    {
        var any = false;
        for (var i = 0; i < rows.Count; i++)
        {
            if (!rows[i].IsEvent)
            {
                outcomes[i] = NotPublished;
                any = true;
            }
        }

        if (!any)
        {
            return false;
        }

        string? failure = null;
        try
        {
            await PublishPipeline.ExecuteAsync(
                static (state, token) => state.Relay.PublishCommandBatchAsync(state.Rows, state.Outcomes, state.Slots, state.Timeout, token),
                (Relay: this, Rows: rows, Outcomes: outcomes, Slots: slots, Timeout: timeout), CancellationToken.None).ConfigureAwait(false);
        }
        catch (BrokenCircuitException)
        {
            failure = "broker circuit open";
        }
        catch (TimeoutRejectedException)
        {
            failure = "publish timed out";
        }
        catch (OperationCanceledException)
        {
            failure = "publish timed out";
        }
        catch (Exception ex)
        {
            // Classified by type only: exception messages can carry host names.
            failure = ex.GetType().Name;
        }

        for (var i = 0; failure is not null && i < rows.Count; i++)
        {
            if (ReferenceEquals(outcomes[i], NotPublished))
            {
                outcomes[i] = failure;
            }
        }

        return failure is not null;
    }

    private async ValueTask PublishCommandBatchAsync(List<OutboxRow> rows, string?[] outcomes, WindowSlots slots, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var channel = await relayChannel.GetAsync(cancellationToken).ConfigureAwait(false);
        var envelope = _envelope ??= new MassTransitEnvelope(bus.Address);
        var sentTime = timeProvider.GetUtcNow().UtcDateTime;
        var messages = new CommandMessage[rows.Count];
        using var buffer = new PooledBufferWriter(rows.Count * 1024);
        using (var json = new Utf8JsonWriter(buffer, EnvelopeJson))
        {
            for (var i = 0; i < rows.Count; i++)
            {
                var row = rows[i];
                if (row.IsEvent)
                {
                    continue;
                }

                if (!MassTransitEnvelope.IsKnownCommand(row.MessageType))
                {
                    outcomes[i] = "unknown message type";
                    continue;
                }

                Dictionary<string, object?> headers;
                string? traceParent;
                string? traceState;
                try
                {
                    headers = MassTransitEnvelope.ReadHeaders(row.Headers, out traceParent, out traceState);
                }
                catch (JsonException)
                {
                    outcomes[i] = "unreadable row";
                    continue;
                }

                // The relay's span continues the trace of the HTTP request that wrote the row, and the consumer's
                // continues the relay's (MassTransit reads it from MT-Activity-Id). Unrecorded, the request's own
                // context is passed on, so the consumer still joins the request's trace.
                var activity = StartActivity(row, headers, traceParent, traceState);
                var properties = MassTransitEnvelope.Properties(row.CommandId, headers, activity?.Id ?? traceParent);
                var start = buffer.WrittenCount;
                envelope.Write(json, row.CommandId, row.MessageType, row.Destination, row.Body, headers, sentTime);
                json.Flush();
                json.Reset();
                messages[i] = new CommandMessage(properties, start, buffer.WrittenCount - start, activity);
            }
        }

        using var timeoutSource = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken);
        var bodies = buffer.Written;
        var publishes = new ValueTask[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            if (messages[i].Properties is { } properties)
            {
                try
                {
                    // Mandatory: an unroutable command comes back as a return (a failure of its row), not a silent success.
                    publishes[i] = channel.BasicPublishAsync(rows[i].Destination, string.Empty, mandatory: true, properties,
                        bodies.Slice(messages[i].Start, messages[i].Length), linked.Token);
                }
                catch (Exception ex) when (ex is RabbitMQClientException or IOException or ObjectDisposedException)
                {
                    publishes[i] = ValueTask.FromException(ex);
                }
            }
        }

        Exception? brokerFailure = null;
        for (var i = 0; i < rows.Count; i++)
        {
            if (messages[i].Properties is null)
            {
                continue;
            }

            var activity = messages[i].Activity;
            try
            {
                await publishes[i].ConfigureAwait(false);
                outcomes[i] = null;
            }
            catch (OperationCanceledException)
            {
                outcomes[i] = "publish timed out";
                brokerFailure ??= new TimeoutException("The broker did not confirm the publish in time.");
            }
            catch (PublishException ex) when (ex.IsReturn)
            {
                // Unroutable (no queue bound): the broker is fine; this row waits and the topology is declared again.
                outcomes[i] = ex.GetType().Name;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Nacked, or the channel or connection closed. Classified by type only: messages can carry host names.
                outcomes[i] = ex.GetType().Name;
                brokerFailure ??= ex;
            }

            if (outcomes[i] is { } error)
            {
                activity?.SetStatus(ActivityStatusCode.Error, error);
            }

            activity?.Dispose();
            // Answered: the relay may publish another message in its place.
            slots.ReleaseOne();
        }

        if (brokerFailure is not null)
        {
            if (brokerFailure is not PublishException)
            {
                await relayChannel.ResetAsync(channel).ConfigureAwait(false);
            }

            // Once per batch into the pipeline, so that its breaker counts the failed batch.
            ExceptionDispatchInfo.Throw(brokerFailure);
        }
    }

    private static Activity? StartActivity(OutboxRow row, Dictionary<string, object?> headers, string? traceParent, string? traceState)
    {
        if (!ActivitySource.HasListeners())
        {
            return null;
        }

        ActivityContext.TryParse(traceParent, traceState, out var parent);
        var current = Activity.Current;
        var activity = ActivitySource.StartActivity("outbox relay", ActivityKind.Producer, parent);
        // The batch's spans overlap: none of them becomes the pass's current activity.
        Activity.Current = current;
        if (activity is not null)
        {
            CommandTelemetry.Tag(activity, row.CommandId, headers.GetValueOrDefault(Contracts.MessageHeaders.CommandType) as string ?? row.Destination,
                headers.GetValueOrDefault(Contracts.MessageHeaders.Tenant) as string);
            activity.SetTag("messaging.destination.name", row.Destination);
        }

        return activity;
    }

    private async Task PublishEventsAsync(List<OutboxRow> rows, string?[] outcomes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        List<Task>? publishes = null;
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].IsEvent)
            {
                (publishes ??= []).Add(PublishEventAtAsync(i));
            }
        }

        if (publishes is not null)
        {
            await Task.WhenAll(publishes).ConfigureAwait(false);
        }

        async Task PublishEventAtAsync(int index) =>
            outcomes[index] = await PublishEventAsync(rows[index], timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Publishes an event row through MassTransit (by its type).</summary>
    /// <returns>Null when the broker confirmed the message; otherwise a safe error description.</returns>
    private async Task<string?> PublishEventAsync(OutboxRow row, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!EventTypes.TryGetValue(row.MessageType, out var messageType))
        {
            return "unknown message type";
        }

        Dictionary<string, string>? headers;
        object? message;
        try
        {
            headers = JsonSerializer.Deserialize<Dictionary<string, string>>(row.Headers);
            message = JsonSerializer.Deserialize(row.Body, messageType, BodyJson);
        }
        catch (JsonException)
        {
            return "unreadable row";
        }

        if (message is null || headers is null)
        {
            return "unreadable row";
        }

        // Continue the trace of the HTTP request that wrote the row: the send becomes its child.
        ActivityContext.TryParse(headers.GetValueOrDefault(Contracts.MessageHeaders.TraceParent),
            headers.GetValueOrDefault(Contracts.MessageHeaders.TraceState), out var parent);
        using var activity = ActivitySource.StartActivity("outbox relay", ActivityKind.Producer, parent);
        CommandTelemetry.Tag(activity, row.CommandId, headers.GetValueOrDefault(Contracts.MessageHeaders.CommandType) ?? row.Destination,
            headers.GetValueOrDefault(Contracts.MessageHeaders.Tenant));
        activity?.SetTag("messaging.destination.name", row.Destination);

        using var timeoutSource = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken);
        try
        {
            var pipe = Pipe.Execute<SendContext>(context =>
            {
                context.MessageId = row.CommandId;
                context.Durable = true;
                foreach (var (name, value) in headers)
                {
                    if (name is not (Contracts.MessageHeaders.TraceParent or Contracts.MessageHeaders.TraceState))
                    {
                        context.Headers.Set(name, value);
                    }
                }
            });
            // An event's id is derived from its command and type: a republished row keeps its id, so
            // subscribers can drop the duplicate.
            var eventId = EventId(row.CommandId, row.MessageType);
            await PublishPipeline.ExecuteAsync(async token => await bus.Publish(message, messageType, Pipe.Execute<PublishContext>(context =>
            {
                _ = pipe.Send(context);
                context.MessageId = eventId;
            }), token).ConfigureAwait(false), linked.Token).ConfigureAwait(false);

            return null;
        }
        catch (BrokenCircuitException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "broker circuit open");
            return "broker circuit open";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "publish timed out");
            return "publish timed out";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Classified by type only: exception messages can carry host names.
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            return ex.GetType().Name;
        }
    }

    // The broker's breaker, when the host registered the infrastructure pipelines.
    private ResiliencePipeline PublishPipeline =>
        pipelines.TryGetPipeline(DependencyNames.RabbitMq, out var pipeline) ? pipeline : ResiliencePipeline.Empty;

    private static Guid EventId(Guid commandId, string messageType)
    {
        Span<byte> input = stackalloc byte[16 + (messageType.Length * 3)];
        commandId.TryWriteBytes(input);
        var length = 16 + System.Text.Encoding.UTF8.GetBytes(messageType, input[16..]);
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(input[..length], hash);
        return new Guid(hash[..16]);
    }

    private static TimeSpan Backoff(int failures, TimeSpan max)
    {
        var exponent = Math.Min(failures, 16);
        var delay = TimeSpan.FromMilliseconds(100 * Math.Pow(2, exponent - 1));
        var capped = delay < max ? delay : max;
        // Jitter (50–100 %) so relays of several gateways do not retry in lockstep.
        return capped * (0.5 + (Random.Shared.NextDouble() / 2));
    }

    private readonly record struct CommandMessage(BasicProperties? Properties, int Start, int Length, Activity? Activity);

    // The places in the relay's window that a batch holds, freed one by one as its publishes are answered.
    private sealed class WindowSlots(SemaphoreSlim? window, int held)
    {
        private int _held = held;

        public void ReleaseOne()
        {
            if (window is not null && Interlocked.Decrement(ref _held) >= 0)
            {
                window.Release();
            }
        }

        public void ReleaseAll()
        {
            var rest = Interlocked.Exchange(ref _held, 0);
            if (window is not null && rest > 0)
            {
                window.Release(rest);
            }
        }
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

/// <summary>What one relay pass (or one mark of several batches) did.</summary>
internal readonly record struct RelayPassResult(int Claimed, int Published, int Failed);

/// <summary>A leased outbox row (<see cref="ClaimedUntil"/>: its lease, as stored).</summary>
internal sealed record OutboxRow(long Id, Guid CommandId, string Destination, string MessageType, byte[] Body, byte[] Headers, int PublishAttempts, bool IsEvent,
    DateTimeOffset DueAt, DateTimeOffset ClaimedUntil);

/// <summary>Claimed rows and their publishes' answers: null when confirmed, else why not.</summary>
internal sealed record RelayBatch(List<OutboxRow> Rows, string?[] Outcomes, bool BrokerFailed);
