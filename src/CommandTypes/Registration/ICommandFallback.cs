using Messaging.Contracts.Commands;

namespace Messaging.CommandTypes;

/// <summary>
/// What a command type does when one of its commands is dead-lettered (for example publish an event so
/// whoever started the work can compensate, or submit the work another way). It runs in the dead letter's
/// own transaction and keeps the command's tenant and client: what it publishes or submits is committed
/// together with the dead letter, or not at all.
/// </summary>
/// <typeparam name="TCommand">The command's message contract.</typeparam>
public interface ICommandFallback<in TCommand>
    where TCommand : class, ICommandMessage
{
    /// <summary>Runs the fallback of <paramref name="command"/>.</summary>
    /// <returns>What it did, for the log (for example <c>PaymentFailed published</c>), or null when it did nothing.</returns>
    Task<string?> RunAsync(TCommand command, CommandFallbackContext context);
}
