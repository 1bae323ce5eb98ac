namespace Messaging.Client;

/// <summary>How one command is sent (by <see cref="MessagingClient.SendAsync{TCommand}"/>, or as one item of a batch).</summary>
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
    /// 1 day. The gateway's default for the type applies when absent. With <see cref="NotBefore"/> it counts from then.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// The <c>Not-Before</c>: the command is not executed before this time (sent as RFC 3339 in UTC). The gateway accepts
    /// up to 30 days ahead and up to 5 minutes in the past (clocks differ; such a command runs at once). A command whose
    /// time is still to come is accepted as <see cref="CommandStatus.Scheduled"/>. Null runs it as soon as possible.
    /// </summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>
    /// The <c>Callback-Url</c>: where the gateway posts a signed event (Standard Webhooks) when the command ends. An absolute
    /// https URL (http only for loopback, or in the gateway's Development and Testing environments) without user info or
    /// fragment, whose origin the gateway's operator allows for your tenant; otherwise the send fails with 400. Null uses
    /// your client's default callback, if it has one. Part of the idempotent request when given.
    /// </summary>
    public Uri? CallbackUrl { get; init; }
}
