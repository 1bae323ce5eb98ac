using System.Diagnostics;

namespace Messaging.Store.Telemetry;

/// <summary>
/// The attributes that identify a command on spans, metrics and log scopes. Only identifiers: never a body,
/// a credential or a header value.
/// </summary>
public static class CommandTelemetry
{
    /// <summary>The meter of <see cref="CommandMetrics"/>: the command path's figures.</summary>
    public const string MeterName = "Messaging.Commands";

    /// <summary>The activity source of the outbox relay's spans (each continues the trace stored in its outbox row).</summary>
    public const string OutboxActivitySourceName = "Messaging.Outbox";

    /// <summary>The command id (also the message id and the provider's idempotency key).</summary>
    public const string CommandId = "messaging.command.id";

    /// <summary>The command type name, for example <c>payments.charge</c>.</summary>
    public const string CommandType = "messaging.command.type";

    /// <summary>The tenant that owns the command.</summary>
    public const string Tenant = "messaging.tenant";

    /// <summary>The outcome tag of <c>messaging.commands</c>.</summary>
    public const string Outcome = "messaging.command.outcome";

    /// <summary>Adds the command's identifiers to <paramref name="activity"/> (no-op when it is null or not recorded).</summary>
    public static void Tag(Activity? activity, Guid commandId, string commandType, string? tenant)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        activity.SetTag(CommandId, commandId.ToString());
        activity.SetTag(CommandType, commandType);
        if (!string.IsNullOrEmpty(tenant))
        {
            activity.SetTag(Tenant, tenant);
        }
    }

    /// <summary>
    /// The state of a logging scope naming the command (<c>CommandId</c>, <c>CommandType</c>, <c>Tenant</c>), so
    /// every log record written while handling it carries them (with the trace and span ids of the current activity).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, object?>> ScopeState(Guid commandId, string commandType, string? tenant) =>
    [
        new("CommandId", commandId),
        new("CommandType", commandType),
        new("Tenant", tenant),
    ];
}
