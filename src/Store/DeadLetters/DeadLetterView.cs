namespace Messaging.Store.DeadLetters;

/// <summary>A stored dead letter as the monitoring API shows it (no body).</summary>
public sealed record DeadLetterView(
    long Id,
    Guid? CommandId,
    string? Tenant,
    string? Type,
    int Attempts,
    DateTimeOffset FirstFailureAt,
    DateTimeOffset LastFailureAt,
    string? ExceptionType,
    string Reason,
    string Source,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RedrivenAt,
    string? RedrivenBy);
