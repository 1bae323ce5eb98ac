namespace Messaging.Contracts.Commands;

/// <summary>Helpers over <see cref="CommandStatus"/> that every host agrees on.</summary>
public static class CommandStatuses
{
    /// <summary>Whether no further transition is expected without operator action.</summary>
    public static bool IsTerminal(this CommandStatus status) =>
        status is CommandStatus.Succeeded or CommandStatus.Failed or CommandStatus.DeadLettered or CommandStatus.Expired
            or CommandStatus.Cancelled;
}
