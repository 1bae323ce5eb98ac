namespace Messaging.Client;

/// <summary>Where a command's completion callback stands (<see cref="CommandInfo.Callback"/>).</summary>
public sealed record CallbackInfo
{
    /// <summary>
    /// <c>Pending</c> (the command has not ended, or its event waits to be sent), <c>Delivering</c> (an attempt failed; a retry
    /// is scheduled), <c>Delivered</c> or <c>DeadLettered</c> (retries spent; an operator can redrive it). A newer gateway may
    /// add states: treat unknown ones as not final.
    /// </summary>
    public required string State { get; init; }

    /// <summary>Delivery attempts of the last event so far.</summary>
    public int Attempts { get; init; }

    /// <summary>Why the last attempt failed, if it did.</summary>
    public string? LastError { get; init; }
}
