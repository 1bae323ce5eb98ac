using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Messaging.Contracts.Commands;
using Messaging.Contracts.Notifications;
using Messaging.Contracts.Payments;

namespace Messaging.Gateway.Commands;

/// <summary>
/// The body of a command request: read strictly (unknown or duplicate properties, numbers in strings,
/// comments and trailing commas are refused), validated field by field, then normalised. The
/// normalised form is what is stored, hashed for idempotency and turned into the wire message.
/// </summary>
internal abstract class CommandRequest
{
    /// <summary>Adds one message per failed rule, keyed by the camelCase field name.</summary>
    public abstract void Validate(ValidationErrors errors);

    /// <summary>The same request with cosmetic differences removed (for example trailing zeros of an amount).</summary>
    public abstract CommandRequest Normalise();

    /// <summary>The message the workers receive.</summary>
    public abstract ICommandMessage ToMessage(Guid commandId, string tenant);
}

/// <summary>
/// <c>payments.charge</c>: <c>amount</c> greater than zero with at most 4 decimals (the largest minor
/// unit in ISO 4217; the provider checks the currency's own), <c>currency</c> a current ISO 4217 code in
/// upper case, <c>customerId</c> 1–100 characters, optional <c>description</c> up to 500 characters.
/// </summary>
internal sealed class ChargePaymentRequest : CommandRequest
{
    public const int MaxDecimals = 4;
    public const int MaxCustomerIdLength = 100;
    public const int MaxDescriptionLength = 500;

    public decimal? Amount { get; init; }

    public string? Currency { get; init; }

    public string? CustomerId { get; init; }

    public string? Description { get; init; }

    public override void Validate(ValidationErrors errors)
    {
        if (Amount is not { } amount)
        {
            errors.Add("amount", "The amount is required.");
        }
        else if (amount <= 0)
        {
            errors.Add("amount", "The amount must be greater than zero.");
        }
        else if (StripTrailingZeros(amount).Scale > MaxDecimals)
        {
            errors.Add("amount", $"The amount may have at most {MaxDecimals} decimals.");
        }

        if (string.IsNullOrEmpty(Currency))
        {
            errors.Add("currency", "The currency is required.");
        }
        else if (!CurrencyCodes.IsKnown(Currency))
        {
            errors.Add("currency", "The currency must be a current ISO 4217 code in upper case, for example EUR.");
        }

        if (string.IsNullOrWhiteSpace(CustomerId))
        {
            errors.Add("customerId", "The customer id is required.");
        }
        else if (CustomerId.Length > MaxCustomerIdLength)
        {
            errors.Add("customerId", $"The customer id may have at most {MaxCustomerIdLength} characters.");
        }

        if (Description is { Length: > MaxDescriptionLength })
        {
            errors.Add("description", $"The description may have at most {MaxDescriptionLength} characters.");
        }
    }

    public override CommandRequest Normalise() => new ChargePaymentRequest
    {
        Amount = StripTrailingZeros(Amount!.Value),
        Currency = Currency,
        CustomerId = CustomerId,
        Description = Description,
    };

    public override ICommandMessage ToMessage(Guid commandId, string tenant) => new ChargePayment
    {
        CommandId = commandId,
        Tenant = tenant,
        Amount = Amount!.Value,
        Currency = Currency!,
        CustomerId = CustomerId!,
        Description = Description,
    };

    // Dividing by 1 with 28 zero decimals keeps the value and drops the scale it does not need (1.50 -> 1.5).
    private static decimal StripTrailingZeros(decimal value) => value / 1.0000000000000000000000000000m;
}

/// <summary>
/// <c>notifications.send</c>: <c>channel</c> <c>email</c> or <c>sms</c>; <c>to</c> a plausible address
/// (email) or an E.164 number (sms); optional <c>subject</c> up to 200 characters, email only;
/// <c>body</c> 1–10000 characters; optional <c>fallbackTo</c>, the recipient on the other channel
/// (an E.164 number for an email, an address for an SMS), used if the notification is dead-lettered.
/// </summary>
internal sealed partial class SendNotificationRequest : CommandRequest
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

    public override ICommandMessage ToMessage(Guid commandId, string tenant) => new SendNotification
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

/// <summary>Reads and validates the body of a command request for one type.</summary>
internal static class CommandRequests
{
    private static readonly FrozenDictionary<string, Type> RequestTypes = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        [ChargePayment.TypeName] = typeof(ChargePaymentRequest),
        [SendNotification.TypeName] = typeof(SendNotificationRequest),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Strict reading; camelCase (case-insensitive) names, as the rest of the API.</summary>
    private static readonly JsonSerializerOptions ReadOptions = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        NumberHandling = JsonNumberHandling.Strict,
        MaxDepth = 8,
    };

    /// <summary>Whether the gateway accepts requests for this type (every catalog type should be).</summary>
    public static bool IsSupported(CommandDescriptor descriptor) => RequestTypes.ContainsKey(descriptor.TypeName);

    /// <summary>Parses <paramref name="body"/>; the result is either a JSON error, validation errors, or a valid normalised request.</summary>
    public static CommandRequestReadResult Read(CommandDescriptor descriptor, ReadOnlySpan<byte> body)
    {
        CommandRequest? request;
        try
        {
            request = (CommandRequest?)JsonSerializer.Deserialize(body, RequestTypes[descriptor.TypeName], ReadOptions);
        }
        catch (JsonException ex)
        {
            // The path is the client's own input; the message would name CLR types, so it is not passed on.
            return CommandRequestReadResult.InvalidJson(ex.Path is { Length: > 1 } path ? path : null);
        }

        if (request is null)
        {
            return CommandRequestReadResult.InvalidJson(null);
        }

        var errors = new ValidationErrors();
        request.Validate(errors);
        return errors.Count > 0 ? CommandRequestReadResult.Invalid(errors) : CommandRequestReadResult.Valid(request.Normalise());
    }
}

/// <summary>The outcome of <see cref="CommandRequests.Read"/>.</summary>
internal sealed record CommandRequestReadResult(CommandRequest? Request, ValidationErrors? Errors, bool IsJsonError, string? JsonPath)
{
    public static CommandRequestReadResult Valid(CommandRequest request) => new(request, null, false, null);

    public static CommandRequestReadResult Invalid(ValidationErrors errors) => new(null, errors, false, null);

    public static CommandRequestReadResult InvalidJson(string? path) => new(null, null, true, path);
}

/// <summary>Validation messages keyed by camelCase field (or header) name, as <c>ValidationProblem</c> wants them.</summary>
internal sealed class ValidationErrors
{
    // Made on the first error: most requests have none.
    private Dictionary<string, List<string>>? _errors;

    public int Count => _errors?.Count ?? 0;

    public void Add(string field, string message)
    {
        _errors ??= new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
    }

    public Dictionary<string, string[]> ToDictionary() =>
        _errors?.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal) ?? new Dictionary<string, string[]>(StringComparer.Ordinal);
}
