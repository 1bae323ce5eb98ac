namespace Messaging.Client;

/// <summary>How one command is sent.</summary>
public sealed record SendOptions
{
    /// <summary>
    /// The <c>Idempotency-Key</c> (1–255 visible ASCII, scoped per tenant). When absent the client makes
    /// one per call; either way every retry of the call carries the same key. Give your own key to make a
    /// send idempotent across calls, for example across restarts of your process.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>
    /// The <c>Command-Timeout</c>: how long the command may take end to end, whole seconds from 1 second to
    /// 1 day. The gateway's default for the type applies when absent.
    /// </summary>
    public TimeSpan? Timeout { get; init; }
}
