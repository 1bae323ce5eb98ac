using System.Text.RegularExpressions;
using Messaging.Contracts.Notifications;

namespace Messaging.CommandTypes.Notifications;

/// <summary>
/// <c>notifications.send</c>: <c>channel</c> <c>email</c> or <c>sms</c>; <c>to</c> a plausible address
/// (email) or an E.164 number (sms); optional <c>subject</c> up to 200 characters, email only;
/// <c>body</c> 1–10000 characters; optional <c>fallbackTo</c>, the recipient on the other channel
/// (an E.164 number for an email, an address for an SMS), used if the notification is dead-lettered.
/// </summary>
internal sealed partial class SendNotificationRequest : CommandRequest<SendNotification>
{
    public const string Email = "email";
    public const string Sms = "sms";
    public const int MaxSubjectLength = 200;
    public const int MaxBodyLength = 10_000;
    private const int MaxEmailLength = 254;

    public string? Channel { get; init; }

    public string? To { get; init; }

    public string? Subject { get; init; }

    public string? Body { get; init; }

    public string? FallbackTo { get; init; }

    public override void Validate(ValidationErrors errors)
    {
        var channel = Channel;
        if (string.IsNullOrEmpty(channel))
        {
            errors.Add("channel", "The channel is required.");
        }
        else if (channel is not (Email or Sms))
        {
            errors.Add("channel", "The channel must be 'email' or 'sms'.");
        }

        if (string.IsNullOrEmpty(To))
        {
            errors.Add("to", "The recipient is required.");
        }
        else if (channel == Email && (To.Length > MaxEmailLength || !EmailPattern().IsMatch(To)))
        {
            errors.Add("to", "The recipient must be an email address such as name@example.com.");
        }
        else if (channel == Sms && !E164Pattern().IsMatch(To))
        {
            errors.Add("to", "The recipient must be a phone number in E.164 form, such as +4915112345678.");
        }

        if (Subject is not null && channel == Sms)
        {
            errors.Add("subject", "Only email notifications have a subject.");
        }
        else if (Subject is { Length: > MaxSubjectLength })
        {
            errors.Add("subject", $"The subject may have at most {MaxSubjectLength} characters.");
        }

        if (string.IsNullOrEmpty(Body))
        {
            errors.Add("body", "The body is required.");
        }
        else if (Body.Length > MaxBodyLength)
        {
            errors.Add("body", $"The body may have at most {MaxBodyLength} characters.");
        }

        // The fallback goes out on the other channel, so its recipient has the other channel's form.
        if (FallbackTo is null)
        {
            return;
        }

        if (channel == Email && !E164Pattern().IsMatch(FallbackTo))
        {
            errors.Add("fallbackTo", "The fallback of an email is an SMS: a phone number in E.164 form, such as +4915112345678.");
        }
        else if (channel == Sms && (FallbackTo.Length > MaxEmailLength || !EmailPattern().IsMatch(FallbackTo)))
        {
            errors.Add("fallbackTo", "The fallback of an SMS is an email: an address such as name@example.com.");
        }
    }

    public override CommandRequest Normalise() => this;

    public override SendNotification ToCommand(Guid commandId, string tenant) => new()
    {
        CommandId = commandId,
        Tenant = tenant,
        Channel = Channel!,
        To = To!,
        Subject = Subject,
        Body = Body!,
        FallbackTo = FallbackTo,
    };

    // Plausible, not RFC 5322: one @, no spaces or control characters, a dot in the domain, local part <= 64.
    [GeneratedRegex(@"^[^@\s\p{Cc}]{1,64}@[^@\s\p{Cc}.]+(\.[^@\s\p{Cc}.]+)+$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"^\+[1-9][0-9]{1,14}$", RegexOptions.CultureInvariant)]
    private static partial Regex E164Pattern();
}
