using Messaging.CommandTypes;

namespace Messaging.Samples.ShippingLabels;

/// <summary>
/// The body of <c>POST /api/commands/shipping.labels.create</c>: <c>carrier</c> one of <c>dhl</c>, <c>ups</c>,
/// <c>dpd</c>; <c>recipient</c> 1–200 characters; <c>postalCode</c> 1–16 letters, digits, spaces or dashes;
/// <c>country</c> two upper-case letters; <c>weightGrams</c> 1–31500 (the carriers' parcel limit).
/// </summary>
internal sealed class CreateShippingLabelRequest : CommandRequest<CreateShippingLabel>
{
    public const int MaxWeightGrams = 31_500;
    private static readonly string[] Carriers = ["dhl", "ups", "dpd"];

    public string? Carrier { get; init; }

    public string? Recipient { get; init; }

    public string? PostalCode { get; init; }

    public string? Country { get; init; }

    public int? WeightGrams { get; init; }

    public override void Validate(ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (Carrier is null || !Carriers.Contains(Carrier, StringComparer.Ordinal))
        {
            errors.Add("carrier", $"The carrier must be one of {string.Join(", ", Carriers)}.");
        }

        if (string.IsNullOrWhiteSpace(Recipient) || Recipient.Length > 200)
        {
            errors.Add("recipient", "The recipient is required (at most 200 characters).");
        }

        if (string.IsNullOrEmpty(PostalCode) || PostalCode.Length > 16 || !PostalCode.All(c => char.IsAsciiLetterOrDigit(c) || c is ' ' or '-'))
        {
            errors.Add("postalCode", "The postal code is required: at most 16 letters, digits, spaces or dashes.");
        }

        if (Country is not { Length: 2 } country || !country.All(char.IsAsciiLetterUpper))
        {
            errors.Add("country", "The country must be an ISO 3166-1 alpha-2 code in upper case, for example DE.");
        }

        if (WeightGrams is not ({ } grams and > 0 and <= MaxWeightGrams))
        {
            errors.Add("weightGrams", $"The weight must be between 1 and {MaxWeightGrams} grams.");
        }
    }

    public override CommandRequest Normalise() => new CreateShippingLabelRequest
    {
        Carrier = Carrier,
        Recipient = Recipient!.Trim(),
        PostalCode = PostalCode!.Trim(),
        Country = Country,
        WeightGrams = WeightGrams,
    };

    public override CreateShippingLabel ToCommand(Guid commandId, string tenant) => new()
    {
        CommandId = commandId,
        Tenant = tenant,
        Carrier = Carrier!,
        Recipient = Recipient!,
        PostalCode = PostalCode!,
        Country = Country!,
        WeightGrams = WeightGrams!.Value,
    };
}
