using Messaging.Contracts.Commands;

namespace Messaging.Contracts.Notifications;

/// <summary>The <c>notifications.send</c> command: send an email or SMS through the notifications provider.</summary>
public sealed record SendNotification : ICommandMessage
{
    /// <summary>The command type name used in the HTTP API and in the outbox.</summary>
    public const string TypeName = "notifications.send";

    /// <inheritdoc />
    public required Guid CommandId { get; init; }

    /// <inheritdoc />
    public required string Tenant { get; init; }

    /// <summary><c>email</c> or <c>sms</c>.</summary>
    public required string Channel { get; init; }

    /// <summary>The address or phone number.</summary>
    public required string To { get; init; }

    /// <summary>The subject (email only).</summary>
    public string? Subject { get; init; }

    /// <summary>The message body.</summary>
    public required string Body { get; init; }

    /// <summary>
    /// Optional: the recipient on the other channel (a phone number for an email, an email address for an
    /// SMS). When the command is dead-lettered, the notification is sent there instead, as a new command of
    /// the same tenant and client. Absent: the failure is published as <c>NotificationFailed</c>.
    /// </summary>
    public string? FallbackTo { get; init; }
}
