using MassTransit;
using Messaging.Contracts.Commands;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Classification;

namespace Messaging.Workers.Flow;

/// <summary>
/// Consume middleware of a command endpoint: every message passes the endpoint's gate
/// (<see cref="BreakerAwareEndpoint.EnterAsync"/>: one at a time while probing, ramping up after, and
/// released when pausing so waiting messages meet the open breaker and go back without a provider call).
/// A message that fails because PostgreSQL is unreachable is held, not returned to the queue (which would
/// count towards the queue's delivery limit and could end in dead letters because of an outage): it waits
/// while the endpoint is paused, or a moment otherwise, and runs again from the start.
/// </summary>
internal sealed partial class BreakerAwareConsumeFilter<TMessage>(
    BreakerAwareEndpoint endpoint, IHostApplicationLifetime lifetime, TimeProvider timeProvider, ILogger logger)
    : IFilter<ConsumeContext<TMessage>>
    where TMessage : class, ICommandMessage
{
    // While the breaker is still closed, the pause before a held message tries again.
    private static readonly TimeSpan HoldDelay = TimeSpan.FromSeconds(1);

    public async Task Send(ConsumeContext<TMessage> context, IPipe<ConsumeContext<TMessage>> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);

        // Stopping the host ends a hold: the message then goes back to the queue for another worker.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        while (true)
        {
            using (await endpoint.EnterAsync(stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await next.Send(context).ConfigureAwait(false);
                    return;
                }
                catch (Exception ex) when (DependencyUnavailable.IsPostgresUnavailable(ex) && !stopping.IsCancellationRequested)
                {
                    Log.MessageHeld(logger, context.Message.CommandId, endpoint.Name, ex.GetType().Name);
                }
            }

            if (endpoint.State == EndpointFlowState.Paused)
            {
                await endpoint.WaitWhilePausedAsync(stopping.Token).ConfigureAwait(false);
            }
            else
            {
                await Task.Delay(HoldDelay, timeProvider, stopping.Token).ConfigureAwait(false);
            }
        }
    }

    public void Probe(ProbeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var scope = context.CreateFilterScope("breakerAwareEndpoint");
        scope.Add("endpoint", endpoint.Name);
        scope.Add("dependencies", endpoint.Dependencies);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4020, EventName = "MessageHeldForInfrastructure", Level = LogLevel.Warning,
            Message = "Command {CommandId} on {Endpoint} held: a dependency is unreachable ({ErrorType}); it runs again when the endpoint admits it")]
        public static partial void MessageHeld(ILogger logger, Guid commandId, string endpoint, string errorType);
    }
}
