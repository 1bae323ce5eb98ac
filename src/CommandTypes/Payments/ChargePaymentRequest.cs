using Messaging.Contracts.Payments;

namespace Messaging.CommandTypes.Payments;

/// <summary>
/// <c>payments.charge</c>: <c>amount</c> greater than zero with at most 4 decimals (the largest minor
/// unit in ISO 4217; the provider checks the currency's own), <c>currency</c> a current ISO 4217 code in
/// upper case, <c>customerId</c> 1–100 characters, optional <c>description</c> up to 500 characters.
/// </summary>
internal sealed class ChargePaymentRequest : CommandRequest<ChargePayment>
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

    public override ChargePayment ToCommand(Guid commandId, string tenant) => new()
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
