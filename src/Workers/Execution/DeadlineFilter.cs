using MassTransit;
using Messaging.Contracts.Commands;
using Messaging.Resilience.Deadlines;

namespace Messaging.Workers.Execution;

/// <summary>
/// The deadline step: the command's deadline is the earlier of the message's and the stored one. Past it, the
/// command is <c>Expired</c> without a provider call; before it, the deadline travels on in the delivery's
/// profile to every later step and timeout.
/// </summary>
internal sealed class DeadlineFilter<TMessage>(CommandOutcomes outcomes, TimeProvider timeProvider) : IFilter<ConsumeContext<TMessage>>
    where TMessage : class, ICommandMessage
{
    public async Task Send(ConsumeContext<TMessage> context, IPipe<ConsumeContext<TMessage>> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var delivery = context.GetPayload<CommandDelivery>();
        var profile = delivery.Profile;
        var deadline = Earliest(profile.Deadline, delivery.StoredDeadline is { } stored ? new Deadline(stored) : null);
        if (deadline is { } due && due.HasPassed(timeProvider))
        {
            await outcomes.ExpireAsync(delivery.CommandId, profile.CommandType, context.CancellationToken).ConfigureAwait(false);
            await CommandSteps.EndAsync(context, "deadline").ConfigureAwait(false);
            return;
        }

        delivery.Profile = profile with { Deadline = deadline };
        await next.Send(context).ConfigureAwait(false);
    }

    public void Probe(ProbeContext context) => context?.CreateFilterScope("deadline");

    private static Deadline? Earliest(Deadline? a, Deadline? b) =>
        a is null ? b : b is null ? a : a.Value.At <= b.Value.At ? a : b;
}
