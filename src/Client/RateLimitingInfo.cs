namespace Messaging.Client;

/// <summary>Rate limiting at the door.</summary>
/// <param name="RejectedLastMinute">Requests refused with 429 in the last minute.</param>
/// <param name="Degraded">Whether instances fell back to local limiters (Redis unreachable).</param>
public sealed record RateLimitingInfo(long? RejectedLastMinute, bool? Degraded);
