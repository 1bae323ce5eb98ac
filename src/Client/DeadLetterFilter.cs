namespace Messaging.Client;

/// <summary>Which dead letters an operation applies to (<see cref="MessagingClient.ListDeadLettersAsync"/>, <see cref="MessagingClient.RedriveDeadLettersAsync"/>); every filter optional.</summary>
public sealed record DeadLetterFilter
{
    /// <summary>Only this command type.</summary>
    public string? Type { get; init; }

    /// <summary>Only this tenant.</summary>
    public string? Tenant { get; init; }

    /// <summary>Only dead letters stored at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only dead letters stored before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>At most this many (the gateway caps it: 1000 for a list, its redrive batch size for a redrive).</summary>
    public int? Limit { get; init; }
}
