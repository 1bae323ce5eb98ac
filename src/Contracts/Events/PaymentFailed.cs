namespace Messaging.Contracts.Events;

/// <summary>
/// Published when a <c>payments.charge</c> command is dead-lettered, so that whoever started the
/// payment can compensate (cancel the order, notify the customer). Carries the command's tenant.
/// </summary>
public sealed record PaymentFailed
{
    /// <summary>The dead-lettered command.</summary>
    public required Guid CommandId { get; init; }

    /// <summary>The tenant that owns it.</summary>
    public required string Tenant { get; init; }

    /// <summary>The amount that was not charged.</summary>
    public required decimal Amount { get; init; }

    /// <summary>Its currency.</summary>
    public required string Currency { get; init; }

    /// <summary>The customer.</summary>
    public required string CustomerId { get; init; }

    /// <summary>A safe reason (no provider text).</summary>
    public required string Reason { get; init; }

    /// <summary>When it was dead-lettered.</summary>
    public required DateTimeOffset FailedAt { get; init; }
}
