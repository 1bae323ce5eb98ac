namespace Messaging.Contracts.Events;

/// <summary>
/// Published when a <c>notifications.send</c> command is dead-lettered and no fallback channel could
/// take it over. Carries the command's tenant; never the message body.
/// </summary>
public sealed record NotificationFailed
{
    /// <summary>The dead-lettered command.</summary>
    public required Guid CommandId { get; init; }

    /// <summary>The tenant that owns it.</summary>
    public required string Tenant { get; init; }

    /// <summary><c>email</c> or <c>sms</c>.</summary>
    public required string Channel { get; init; }

    /// <summary>A safe reason (no provider text).</summary>
    public required string Reason { get; init; }

    /// <summary>When it was dead-lettered.</summary>
    public required DateTimeOffset FailedAt { get; init; }
}
