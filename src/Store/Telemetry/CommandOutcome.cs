namespace Messaging.Store.Telemetry;

/// <summary>What happened to a command, as <c>messaging.commands</c> counts it.</summary>
public enum CommandOutcome
{
    /// <summary>Committed by the gateway (202).</summary>
    Accepted,

    /// <summary>The provider executed it.</summary>
    Succeeded,

    /// <summary>The provider refused it (a business refusal, not retried).</summary>
    Failed,

    /// <summary>Retries were exhausted or the message was poison: stored as a dead letter.</summary>
    DeadLettered,

    /// <summary>Its deadline passed before it could be executed.</summary>
    Expired,

    /// <summary>Its client cancelled it before an attempt started.</summary>
    Cancelled,
}
