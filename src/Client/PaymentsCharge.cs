namespace Messaging.Client;

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
