
namespace Messaging.CommandTypes;

/// <summary>The fallback of one command type (section <c>Commands:Types:&lt;type&gt;:Fallback</c>).</summary>
public sealed class DeadLetterFallbackOptions
{
    /// <summary>
    /// Whether the type's fallback (<c>WithFallback</c>) runs when a command is dead-lettered: for example
    /// <c>payments.charge</c> publishes <c>PaymentFailed</c>; <c>notifications.send</c> sends the notification on
    /// the other channel when the command names a <c>fallbackTo</c> recipient, and otherwise publishes
    /// <c>NotificationFailed</c>.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;
}
