using Messaging.Contracts.Commands;

namespace Messaging.Workers.Execution;

/// <summary>
/// The checks a worker makes on a command message it could read, before executing it. The gateway
/// validates requests more thoroughly; these catch what reached a queue some other way (a hand-made or
/// corrupted message); each type's handler adds its own (<c>ICommandHandler.Check</c>). A message that fails
/// them is poison: dead-lettered, never executed or retried.
/// </summary>
internal static class CommandValidation
{
    /// <summary>A safe reason why <paramref name="message"/> cannot be executed, or null when it can.</summary>
    public static string? Problem(ICommandMessage message) => message switch
    {
        { CommandId: var id } when id == Guid.Empty => "The message has no command id.",
        { Tenant: var tenant } when string.IsNullOrWhiteSpace(tenant) => "The message has no tenant.",
        _ => null,
    };
}
