using Messaging.Store.Outbox;

namespace Messaging.Store.DeadLetters;

/// <summary>
/// The fresh deadline a redrive gives each command it sends back, both on the command row and in its message's
/// <c>Messaging-Deadline</c> header (the worker keeps the earlier of the two): one instant for every command (the
/// redrive request's <c>deadline</c>), or the command type's default timeout counted from the moment the command is
/// due again (a bulk redrive spaces its commands out). Without it an old dead letter would keep its original
/// deadline and only end <c>Expired</c>.
/// </summary>
public sealed class RedriveDeadline
{
    private readonly DateTimeOffset? _at;
    private readonly Func<string, TimeSpan>? _defaultTimeout;

    private RedriveDeadline(DateTimeOffset? at, Func<string, TimeSpan>? defaultTimeout)
    {
        _at = at;
        _defaultTimeout = defaultTimeout;
    }

    /// <summary>The instant given in the request; null when each command type's default applies.</summary>
    public DateTimeOffset? Instant => _at;

    /// <summary>Every redriven command's deadline is <paramref name="deadline"/> (stored to the microsecond, as PostgreSQL keeps it).</summary>
    public static RedriveDeadline At(DateTimeOffset deadline) => new(CommandRows.TruncateToMicroseconds(deadline), null);

    /// <summary>
    /// Each redriven command's deadline is its type's default timeout (<paramref name="defaultTimeout"/>, by type name:
    /// the configured <c>Commands:Types:&lt;type&gt;:DefaultTimeout</c>) after the moment it is due again.
    /// </summary>
    public static RedriveDeadline TypeDefault(Func<string, TimeSpan> defaultTimeout)
    {
        ArgumentNullException.ThrowIfNull(defaultTimeout);
        return new(null, defaultTimeout);
    }

    /// <summary>The deadline of a command of <paramref name="typeName"/> that is due again at <paramref name="due"/>.</summary>
    internal DateTimeOffset For(string typeName, DateTimeOffset due) =>
        _at ?? CommandRows.TruncateToMicroseconds(due + _defaultTimeout!(typeName));
}
