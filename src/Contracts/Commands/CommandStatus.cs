namespace Messaging.Contracts.Commands;

/// <summary>The lifecycle of a command, as stored and as shown by the status API.</summary>
public enum CommandStatus
{
    /// <summary>Stored durably; waiting for the relay.</summary>
    Accepted,

    /// <summary>Published to the bus.</summary>
    Dispatched,

    /// <summary>A worker is executing it.</summary>
    Processing,

    /// <summary>The provider accepted it; the result is stored.</summary>
    Succeeded,

    /// <summary>The provider refused it (a business refusal); not retried.</summary>
    Failed,

    /// <summary>Waiting for its time: a <c>Not-Before</c> that has not come, a delayed retry or a deferral.</summary>
    Scheduled,

    /// <summary>Stored in the dead-letter store; can be redriven.</summary>
    DeadLettered,

    /// <summary>Its deadline passed before it could be executed.</summary>
    Expired,

    /// <summary>Its client cancelled it before an attempt started; no further attempt is made.</summary>
    Cancelled,
}
