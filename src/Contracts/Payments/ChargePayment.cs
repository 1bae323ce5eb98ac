using Messaging.Contracts.Commands;

namespace Messaging.Contracts.Payments;

/// <summary>The <c>payments.charge</c> command: charge a customer through the payments provider.</summary>
public sealed record ChargePayment : ICommandMessage
{
    /// <summary>The command type name used in the HTTP API and in the outbox.</summary>
    public const string TypeName = "payments.charge";

    /// <inheritdoc />
    public required Guid CommandId { get; init; }

    /// <inheritdoc />
    public required string Tenant { get; init; }

    /// <summary>The amount to charge, greater than zero.</summary>
    public required decimal Amount { get; init; }

    /// <summary>ISO 4217 currency code, upper case.</summary>
    public required string Currency { get; init; }

    /// <summary>The provider's customer id.</summary>
    public required string CustomerId { get; init; }

    /// <summary>An optional description shown on the statement.</summary>
    public string? Description { get; init; }
}
