namespace Messaging.Contracts;

/// <summary>
/// Names of the transport headers every command message carries. The values are part of the wire
/// format: renaming one breaks messages already in queues and outboxes.
/// </summary>
public static class MessageHeaders
{
    /// <summary>The tenant the command belongs to.</summary>
    public const string Tenant = "Messaging-Tenant";

    /// <summary>The client id that submitted the command.</summary>
    public const string Client = "Messaging-Client";

    /// <summary>The command type name, for example <c>payments.charge</c>.</summary>
    public const string CommandType = "Messaging-Command-Type";

    /// <summary>The absolute deadline of the command, ISO 8601 in UTC.</summary>
    public const string Deadline = "Messaging-Deadline";

    /// <summary>The attempt number, starting at 1.</summary>
    public const string Attempt = "Messaging-Attempt";

    /// <summary>W3C trace context restored from the outbox row.</summary>
    public const string TraceParent = "traceparent";

    /// <summary>W3C trace state restored from the outbox row.</summary>
    public const string TraceState = "tracestate";
}
