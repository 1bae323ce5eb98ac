using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using MassTransit;
using Messaging.Contracts.Commands;
using Messaging.Resilience;
using Messaging.Store.Telemetry;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Timeout;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using PublishException = RabbitMQ.Client.Exceptions.PublishException;

namespace Messaging.Store.Outbox;

/// <summary>
/// Publishes the command rows of a relay pass on the relay's own RabbitMQ channel (<see cref="RelayChannel"/>), with
/// publisher confirms and the mandatory flag, as the message MassTransit would have sent (<see cref="MassTransitEnvelope"/>):
/// the stored body is spliced into the envelope, never deserialised. Each command row gets a producer span of the relay
/// (<see cref="OutboxRelay.ActivitySource"/>) that continues the trace stored in the row.
/// </summary>
internal sealed class OutboxCommandPublisher(
    IBus bus,
    CommandTypeRegistry commandTypes,
    RelayChannel relayChannel,
    ResiliencePipelineProvider<string> pipelines,
    TimeProvider timeProvider)
{
    private static readonly JsonWriterOptions EnvelopeJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // A command row's outcome before its publish answered (replaced by null, sent, or by the reason it was not).
    private const string NotPublished = "not published";

    private MassTransitEnvelope? _envelope;

    /// <summary>
    /// Publishes the batch's commands on the relay's channel, all at once, and waits for their confirms: one execution
    /// of the <c>rabbitmq</c> pipeline per batch, so its breaker counts batches. A batch counts as failed when the broker
    /// or the connection failed (closed, nacked, no confirm in time); a returned (unroutable) command fails only its own row.
    /// Sets the outcome of each command row: null once the broker confirmed it, otherwise a safe description of why not
    /// (never an exception's message). Event rows' outcomes are left as they are.
    /// </summary>
    public async Task PublishAsync(List<OutboxRow> rows, string?[] outcomes, TimeSpan timeout, CancellationToken cancellationToken)
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
            return;
        }

        string? failure = null;
        try
        {
            await PublishPipeline.ExecuteAsync(
                static (state, token) => state.Publisher.PublishBatchAsync(state.Rows, state.Outcomes, state.Timeout, token),
                (Publisher: this, Rows: rows, Outcomes: outcomes, Timeout: timeout), cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException)
        {
            failure = "broker circuit open";
        }
        catch (TimeoutRejectedException)
        {
            failure = "publish timed out";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            failure = "publish timed out";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
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
    }

    private async ValueTask PublishBatchAsync(List<OutboxRow> rows, string?[] outcomes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var channel = await relayChannel.GetAsync(cancellationToken).ConfigureAwait(false);
        var envelope = _envelope ??= new MassTransitEnvelope(bus.Address, commandTypes);
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

                if (!envelope.IsKnownCommand(row.MessageType))
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
        if (!OutboxRelay.ActivitySource.HasListeners())
        {
            return null;
        }

        ActivityContext.TryParse(traceParent, traceState, out var parent);
        var current = Activity.Current;
        var activity = OutboxRelay.ActivitySource.StartActivity("outbox relay", ActivityKind.Producer, parent);
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

    // The broker's breaker, when the host registered the infrastructure pipelines.
    private ResiliencePipeline PublishPipeline =>
        pipelines.TryGetPipeline(DependencyNames.RabbitMq, out var pipeline) ? pipeline : ResiliencePipeline.Empty;

    private readonly record struct CommandMessage(BasicProperties? Properties, int Start, int Length, Activity? Activity);
}
