using MassTransit;
using Messaging.CommandTypes;
using Messaging.Contracts.Commands;

namespace Messaging.Workers.Execution;

/// <summary>
/// The first step of every command: is the message executable as it is? Its transport headers (read by
/// <see cref="ExecutionProfileFilter{TMessage}"/>), the fields every command needs (<see cref="CommandValidation"/>)
/// and the type's own check (<see cref="ICommandHandler{TCommand}.Check"/>). A message that fails is poison:
/// dead-lettered at once, never executed or retried. One that passes gets its <see cref="CommandDelivery"/>, which
/// the later steps and the executor read from the consume context.
/// </summary>
/// <remarks>Resolved per message from the message's scope (<c>UseMessageScope</c>), with the type's handler.</remarks>
internal sealed class PoisonCheckFilter<TMessage>(
    CommandTypeRegistry commandTypes, ICommandHandler<TMessage> handler, CommandScheduler scheduler, CommandOutcomes outcomes)
    : IFilter<ConsumeContext<TMessage>>
    where TMessage : class, ICommandMessage
{
    public async Task Send(ConsumeContext<TMessage> context, IPipe<ConsumeContext<TMessage>> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (!context.TryGetPayload<ExecutionProfile>(out var profile))
        {
            throw new InvalidOperationException(
                $"The consume context of {typeof(TMessage).Name} has no {nameof(ExecutionProfile)}: its endpoint must use {nameof(ExecutionProfileFilter<TMessage>)}.");
        }

        if (!commandTypes.TryGet(profile.CommandType, out var descriptor))
        {
            throw new InvalidOperationException($"'{profile.CommandType}' is not a registered command type.");
        }

        var message = context.Message;
        var delivery = CommandDelivery.From(context, descriptor, profile, scheduler);
        if ((profile.HeaderProblem ?? CommandValidation.Problem(message) ?? handler.Check(message)) is { } problem)
        {
            await outcomes.DeadLetterAsync(delivery, CommandOutcomes.PoisonSource, problem, exceptionType: null, Math.Max(0, profile.Attempt - 1),
                context.CancellationToken).ConfigureAwait(false);
            await CommandSteps.EndAsync(context, "poison-check").ConfigureAwait(false);
            return;
        }

        context.AddOrUpdatePayload(() => delivery, _ => delivery);
        await next.Send(context).ConfigureAwait(false);
    }

    public void Probe(ProbeContext context) => context?.CreateFilterScope("poisonCheck");
}
