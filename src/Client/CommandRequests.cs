namespace Messaging.Client;

/// <summary>
/// The body of one command type of the gateway's HTTP API (<c>POST /api/commands/{type}</c>). Only the
/// request fields: the command id is assigned by the gateway and the tenant comes from the access token.
/// </summary>
public interface ICommandRequest
{
    /// <summary>The command type name in the URL, for example <c>payments.charge</c>.</summary>
    static abstract string CommandType { get; }
}

/// <summary>
/// <c>payments.charge</c>: charge a customer through the payments provider.
/// </summary>
/// <param name="Amount">Greater than zero, at most 4 decimals.</param>
/// <param name="Currency">A current ISO 4217 code in upper case, for example <c>EUR</c>.</param>
/// <param name="CustomerId">The provider's customer id, 1–100 characters.</param>
/// <param name="Description">An optional description, up to 500 characters.</param>
public sealed record PaymentsCharge(decimal Amount, string Currency, string CustomerId, string? Description = null) : ICommandRequest
{
    /// <inheritdoc />
    public static string CommandType => "payments.charge";
}

/// <summary>
/// <c>notifications.send</c>: send an email or SMS through the notifications provider.
/// </summary>
/// <param name="Channel"><c>email</c> or <c>sms</c>.</param>
/// <param name="To">An email address, or a phone number in E.164 form (<c>+4915112345678</c>).</param>
/// <param name="Body">The message, 1–10000 characters.</param>
/// <param name="Subject">An optional subject (email only), up to 200 characters.</param>
public sealed record NotificationsSend(string Channel, string To, string Body, string? Subject = null) : ICommandRequest
{
    /// <inheritdoc />
    public static string CommandType => "notifications.send";
}

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
