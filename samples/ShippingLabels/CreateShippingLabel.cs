using Messaging.Contracts.Commands;

namespace Messaging.Samples.ShippingLabels;

/// <summary>
/// The <c>shipping.labels.create</c> command: buy a shipping label from the shipping provider. Its full type
/// name is its wire format (MassTransit's message URN): do not move its namespace once messages exist.
/// </summary>
public sealed record CreateShippingLabel : ICommandMessage
{
    /// <summary>The command type name used in the HTTP API, the queue and configuration.</summary>
    public const string TypeName = "shipping.labels.create";

    /// <inheritdoc />
    public required Guid CommandId { get; init; }

    /// <inheritdoc />
    public required string Tenant { get; init; }

    /// <summary>The carrier, for example <c>dhl</c>.</summary>
    public required string Carrier { get; init; }

    /// <summary>The recipient's name.</summary>
    public required string Recipient { get; init; }

    /// <summary>The recipient's postal code.</summary>
    public required string PostalCode { get; init; }

    /// <summary>The recipient's country, ISO 3166-1 alpha-2 (upper case).</summary>
    public required string Country { get; init; }

    /// <summary>The parcel's weight in grams.</summary>
    public required int WeightGrams { get; init; }
}
