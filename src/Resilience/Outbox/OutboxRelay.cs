using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Messaging.Contracts.Commands;
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

namespace Messaging.Resilience.Outbox;

/// <summary>
/// Delivers committed outbox rows to RabbitMQ. Each pass claims due rows with
/// <c>FOR UPDATE SKIP LOCKED</c> (so several relays share the work without publishing a row twice in
/// the normal case), sends them through MassTransit with publisher confirms and the mandatory flag, and
/// marks a row sent only after its confirm, in the same transaction that held the claim. A crash between
/// the confirm and the commit publishes the row again later: the workers' inbox absorbs that duplicate.
/// </summary>
internal sealed partial class OutboxRelay(
    NpgsqlDataSource dataSource,
    IBus bus,
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
    private static readonly Dictionary<string, Type> MessageTypes =
        CommandCatalog.All.Select(c => c.MessageType).Concat(Contracts.Events.EventCatalog.All)
            .ToDictionary(t => t.FullName!, t => t, StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.CurrentValue.Enabled)
        {
            return;
        }

        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var current = options.CurrentValue;
            try
            {
                var result = await RelayBatchAsync(current, stoppingToken).ConfigureAwait(false);
                failures = result.Failed > 0 && result.Published == 0 ? failures + 1 : 0;
                if (failures > 0)
                {
                    await Task.Delay(Backoff(failures, current.MaxBackoff), timeProvider, stoppingToken).ConfigureAwait(false);
                }
                else if (result.Claimed < current.BatchSize)
                {
                    // Caught up: sleep until a local commit signals or the poll interval passes.
                    await signal.WaitAsync(current.PollInterval, timeProvider, stoppingToken).ConfigureAwait(false);
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

    /// <summary>One pass: claim, publish, mark. Visible for tests.</summary>
    internal async Task<RelayPassResult> RelayBatchAsync(OutboxRelayOptions current, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await ClaimAsync(connection, transaction, current.BatchSize, cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return default;
        }

        await topology.EnsureDeclaredAsync(cancellationToken).ConfigureAwait(false);
        var outcomes = await Task.WhenAll(rows.Select(row => PublishAsync(row, current.PublishTimeout, cancellationToken))).ConfigureAwait(false);

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
            await using var markSent = new NpgsqlCommand(
                """
                UPDATE outbox SET sent_at = @now, publish_attempts = publish_attempts + 1, last_error = NULL WHERE id = ANY(@ids);
                UPDATE commands SET status = 'Dispatched', updated_at = @now WHERE id = ANY(@commands) AND status = 'Accepted';
                """, connection, transaction);
            markSent.Parameters.AddWithValue("now", now);
            markSent.Parameters.AddWithValue("ids", sent.ToArray());
            markSent.Parameters.AddWithValue("commands", sentCommands.ToArray());
            await markSent.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var (row, error) in failed)
        {
            // The row stays pending; it is retried after a growing pause so one bad row cannot hog passes.
            await using var markFailed = new NpgsqlCommand(
                "UPDATE outbox SET publish_attempts = publish_attempts + 1, last_error = @error, not_before = @retry_at WHERE id = @id",
                connection, transaction);
            markFailed.Parameters.AddWithValue("id", row.Id);
            markFailed.Parameters.AddWithValue("error", error);
            markFailed.Parameters.AddWithValue("retry_at", now + Backoff(row.PublishAttempts + 1, current.MaxBackoff));
            await markFailed.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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

    private async Task<List<OutboxRow>> ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int batchSize, CancellationToken cancellationToken)
    {
        // Due order (not_before, id) is the order of the partial index outbox_pending, which holds unsent rows only:
        // the claim reads just the rows it takes. Ordered by id alone it walked the primary key past every row
        // already sent (32 ms a pass with 50,000 sent rows, growing without bound; docs/benchmarks.md).
        await using var claim = new NpgsqlCommand(
            """
            SELECT id, command_id, destination, message_type, body::text, headers::text, publish_attempts, kind,
                   GREATEST(created_at, not_before)
            FROM outbox
            WHERE sent_at IS NULL AND not_before <= @now
            ORDER BY not_before, id
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
            """, connection, transaction);
        claim.Parameters.AddWithValue("now", timeProvider.GetUtcNow());
        claim.Parameters.AddWithValue("limit", batchSize);
        var rows = new List<OutboxRow>();
        await using var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new OutboxRow(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetString(5), reader.GetInt32(6), reader.GetString(7) == "event", reader.GetFieldValue<DateTimeOffset>(8)));
        }

        return rows;
    }

    /// <returns>Null when the broker confirmed the message; otherwise a safe error description.</returns>
    private async Task<string?> PublishAsync(OutboxRow row, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!MessageTypes.TryGetValue(row.MessageType, out var messageType))
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

                if (!row.IsEvent && context.TryGetPayload<RabbitMqSendContext>(out var rabbit))
                {
                    // Unroutable commands come back as errors instead of vanishing; events may have no subscriber.
                    rabbit.Mandatory = true;
                }
            });
            if (row.IsEvent)
            {
                // An event's id is derived from its command and type: a republished row keeps its id, so
                // subscribers can drop the duplicate.
                var eventId = EventId(row.CommandId, row.MessageType);
                await PublishPipeline.ExecuteAsync(async token => await bus.Publish(message, messageType, Pipe.Execute<PublishContext>(context =>
                {
                    _ = pipe.Send(context);
                    context.MessageId = eventId;
                }), token).ConfigureAwait(false), linked.Token).ConfigureAwait(false);
            }
            else
            {
                var endpoint = await bus.GetSendEndpoint(new Uri($"exchange:{row.Destination}")).ConfigureAwait(false);
                await PublishPipeline.ExecuteAsync(async token => await endpoint.Send(message, messageType, pipe, token).ConfigureAwait(false),
                    linked.Token).ConfigureAwait(false);
            }

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

    private sealed record OutboxRow(long Id, Guid CommandId, string Destination, string MessageType, string Body, string Headers, int PublishAttempts, bool IsEvent,
        DateTimeOffset DueAt);

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

/// <summary>What one relay pass did.</summary>
internal readonly record struct RelayPassResult(int Claimed, int Published, int Failed);
