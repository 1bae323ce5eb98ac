namespace Messaging.Client;

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
