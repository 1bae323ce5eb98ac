namespace Messaging.Store.DeadLetters;

/// <summary>Which dead letters an operation applies to; empty fields match everything.</summary>
public sealed record DeadLetterFilter(Guid? CommandId = null, string? Type = null, string? Tenant = null, DateTimeOffset? From = null, DateTimeOffset? To = null);
