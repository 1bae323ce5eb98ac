using System.Globalization;
using MassTransit;
using Messaging.Contracts.Commands;
using Messaging.Resilience;
using Messaging.Resilience.Signing;
using Messaging.Store.Bus;
using Messaging.Store.Outbox;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;
using MessageHeaders = Messaging.Contracts.MessageHeaders;

namespace Messaging.Gateway.Commands;

/// <summary>
/// The second link of the accept chain: while PostgreSQL cannot store a command, it is sent straight to
/// its queue's exchange through MassTransit, with publisher confirms (the send completes only once the
/// broker has taken it), the mandatory flag, the command id as message id, and the very headers the
/// outbox relay sends (tenant, client, type, deadline, attempt 1), plus <c>Messaging-Accepted-Via: direct</c>
/// and the idempotency key, from which the worker creates the missing status row. All of it is signed
/// (<see cref="DirectCommandSignature"/>, header <c>Messaging-Signature</c>): a worker creates no row from a message
/// that anyone else published to the exchange.
/// </summary>
internal sealed partial class DirectCommandPublisher(
    IBus bus,
    CommandTopologyDeclarer topology,
    MessageSigner signer,
    ResiliencePipelineProvider<string> pipelines,
    IOptionsMonitor<OutageFallbackOptions> options,
    TimeProvider timeProvider,
    ILogger<DirectCommandPublisher> logger)
{
    /// <summary>
    /// Publishes <paramref name="command"/> and waits for the broker's confirm. Returns false when the broker
    /// could not confirm it within <see cref="OutageFallbackOptions.PublishTimeout"/> (down, breaker open,
    /// unroutable); the caller then answers 503 and nothing was accepted.
    /// </summary>
    public async Task<bool> PublishAsync(NewCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var row = new CommandRow(command.Id, command.Tenant, command.ClientId, command.Descriptor.TypeName, command.Payload,
            command.Idempotency?.Key, command.Deadline, command.Now);
        var message = command.Request.ToMessage(command.Id, command.Tenant);
        var outbound = CommandRows.ToOutboxMessage(row, command.Descriptor, message);
        var headers = new Dictionary<string, string>(outbound.Headers, StringComparer.Ordinal)
        {
            [MessageHeaders.AcceptedVia] = CommandAccepted.ViaDirect,
        };
        if (command.Idempotency is { } idempotency)
        {
            headers[MessageHeaders.IdempotencyKey] = idempotency.Key;
            headers[MessageHeaders.IdempotencyHash] = Convert.ToBase64String(idempotency.RequestHash);
            headers[MessageHeaders.IdempotencyExpires] = idempotency.ExpiresAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        }

        headers[MessageHeaders.Signature] = DirectCommandSignature.Sign(signer, message, headers.GetValueOrDefault);

        using var timeout = new CancellationTokenSource(options.CurrentValue.PublishTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await topology.EnsureDeclaredAsync(linked.Token).ConfigureAwait(false);
            var pipe = Pipe.Execute<SendContext>(context =>
            {
                context.MessageId = command.Id;
                context.Durable = true;
                foreach (var (name, value) in headers)
                {
                    // The trace context travels as MassTransit's own headers of the current activity.
                    if (name is not (MessageHeaders.TraceParent or MessageHeaders.TraceState))
                    {
                        context.Headers.Set(name, value);
                    }
                }

                if (context.TryGetPayload<RabbitMqSendContext>(out var rabbit))
                {
                    rabbit.Mandatory = true;
                }
            });
            var endpoint = await bus.GetSendEndpoint(new Uri($"exchange:{outbound.Destination}")).ConfigureAwait(false);
            await Broker.ExecuteAsync(async token => await endpoint.Send(message, message.GetType(), pipe, token).ConfigureAwait(false), linked.Token)
                .ConfigureAwait(false);
            Log.PublishedDirectly(logger, command.Id, command.Descriptor.TypeName, command.Tenant);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Down, unconfirmed in time, breaker open or unroutable: all mean "not accepted". Logged by type only
            // (exception messages can name hosts).
            topology.Invalidate();
            Log.DirectPublishFailed(logger, command.Descriptor.TypeName, ex.GetType().Name);
            return false;
        }
    }

    private ResiliencePipeline Broker =>
        pipelines.TryGetPipeline(DependencyNames.RabbitMq, out var pipeline) ? pipeline : ResiliencePipeline.Empty;

    private static partial class Log
    {
        [LoggerMessage(EventId = 2110, EventName = "CommandPublishedDirectly", Level = LogLevel.Warning,
            Message = "PostgreSQL is unavailable: command {CommandId} of type {CommandType} for tenant {Tenant} was published directly to RabbitMQ (confirmed)")]
        public static partial void PublishedDirectly(ILogger logger, Guid commandId, string commandType, string tenant);

        [LoggerMessage(EventId = 2111, EventName = "CommandDirectPublishFailed", Level = LogLevel.Warning,
            Message = "PostgreSQL is unavailable and the direct publish of a {CommandType} command failed ({ErrorType}); answering 503")]
        public static partial void DirectPublishFailed(ILogger logger, string commandType, string errorType);
    }
}
