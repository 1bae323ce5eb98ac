using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Messaging.Contracts.Commands;
using Messaging.Resilience;
using Messaging.Store.Telemetry;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;

namespace Messaging.Store.Outbox;

/// <summary>
/// Publishes the event rows of a relay pass (rare: a command's fallback) through MassTransit, by their types, which
/// declares the exchanges of those types; each row is deserialised to its type first. Each event row gets a producer
/// span of the relay (<see cref="OutboxRelay.ActivitySource"/>) that continues the trace stored in the row.
/// </summary>
internal sealed class OutboxEventPublisher(
    IBus bus,
    CommandTypeRegistry commandTypes,
    ResiliencePipelineProvider<string> pipelines,
    TimeProvider timeProvider)
{
    private static readonly JsonSerializerOptions BodyJson = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Publishes the batch's events, all at once, and waits for them. Sets the outcome of each event row: null once
    /// the broker confirmed it, otherwise a safe description of why not (never an exception's message). Command rows'
    /// outcomes are left as they are.
    /// </summary>
    public async Task PublishAsync(List<OutboxRow> rows, string?[] outcomes, TimeSpan timeout, CancellationToken cancellationToken)
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
        if (!commandTypes.TryGetEventType(row.MessageType, out var messageType))
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
        using var activity = OutboxRelay.ActivitySource.StartActivity("outbox relay", ActivityKind.Producer, parent);
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
}
