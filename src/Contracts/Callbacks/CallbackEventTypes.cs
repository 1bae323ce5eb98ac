using Messaging.Contracts.Commands;

namespace Messaging.Contracts.Callbacks;

/// <summary>The <c>type</c> of a completion event, one per terminal status; wire names, pinned by tests.</summary>
public static class CallbackEventTypes
{
    /// <summary>The built-in command type that delivers completion events.</summary>
    public const string DeliveryTypeName = "callbacks.deliver";

    /// <summary>The command succeeded.</summary>
    public const string Succeeded = "command.succeeded";

    /// <summary>The provider refused the command.</summary>
    public const string Failed = "command.failed";

    /// <summary>The command was dead-lettered (it may be redriven and end again, with a new event).</summary>
    public const string DeadLettered = "command.dead_lettered";

    /// <summary>The command's deadline passed before it ran.</summary>
    public const string Expired = "command.expired";

    /// <summary>The command was cancelled by its client.</summary>
    public const string Cancelled = "command.cancelled";

    /// <summary>The event type of a terminal <paramref name="status"/>, or null for a status that is not terminal.</summary>
    public static string? For(CommandStatus status) => status switch
    {
        CommandStatus.Succeeded => Succeeded,
        CommandStatus.Failed => Failed,
        CommandStatus.DeadLettered => DeadLettered,
        CommandStatus.Expired => Expired,
        CommandStatus.Cancelled => Cancelled,
        _ => null,
    };
}
