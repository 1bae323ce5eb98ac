namespace Messaging.Client;

/// <summary>Helpers over <see cref="CommandStatus"/>.</summary>
public static class CommandStatusExtensions
{
    /// <summary>Whether no further transition is expected without operator action.</summary>
    public static bool IsTerminal(this CommandStatus status) =>
        status is CommandStatus.Succeeded or CommandStatus.Failed or CommandStatus.DeadLettered or CommandStatus.Expired
            or CommandStatus.Cancelled;
}
