using Messaging.Contracts.Commands;

namespace Messaging.CommandTypes;

/// <summary>
/// Executes one command type: a function in the Azure Functions sense. It receives the command and its
/// <see cref="CommandContext"/> and returns a <see cref="CommandResult"/> (succeeded with a result, or refused
/// with a code), or throws a <see cref="Providers.ProviderException"/> when the call ended without a business
/// answer. The host does everything else: inbox, tenant and type match, deadline, quota, breaker-aware
/// consumption, status writes, delayed retries, dead letters, the fallback and telemetry.
/// </summary>
/// <typeparam name="TCommand">The command's message contract.</typeparam>
/// <remarks>
/// A handler is resolved from the container for each delivery (scoped), so it may take any service in its
/// constructor. A repeated delivery of the same command runs it again only when no outcome was committed:
/// send <see cref="CommandContext.CommandId"/> as the provider's idempotency key
/// (<see cref="CommandContext.SendAsync"/> does) so the provider applies the command once.
/// </remarks>
public interface ICommandHandler<in TCommand>
    where TCommand : class, ICommandMessage
{
    /// <summary>Executes <paramref name="command"/>.</summary>
    /// <exception cref="Providers.ProviderException">No business answer: transient (retried) or not (dead-lettered).</exception>
    Task<CommandResult> HandleAsync(TCommand command, CommandContext context);

    /// <summary>
    /// Why a message read from the bus cannot be executed as it is (a hand-made or corrupted message the
    /// gateway's validation never saw), or null when it can. A message with a problem is poison: dead-lettered,
    /// never executed or retried. The command id and tenant are checked before this.
    /// </summary>
    string? Check(TCommand command) => null;
}
