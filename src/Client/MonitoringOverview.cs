using System.Text.Json;
using System.Text.Json.Serialization;

namespace Messaging.Client;

/// <summary>
/// <c>GET /api/monitoring/overview</c> (scope <c>admin</c>). Every part is optional: a gateway that does
/// not report a part yet leaves it null, and parts this client does not know are kept in <see cref="Extra"/>.
/// </summary>
public sealed record MonitoringOverview
{
    /// <summary>Queue depths, rates and consumers.</summary>
    public IReadOnlyList<QueueInfo>? Queues { get; init; }

    /// <summary>Dead letters in store.</summary>
    public DeadLetterSummary? DeadLetters { get; init; }

    /// <summary>Circuit breakers of every process.</summary>
    public IReadOnlyList<BreakerInfo>? Breakers { get; init; }

    /// <summary>The outbox backlog.</summary>
    public OutboxInfo? Outbox { get; init; }

    /// <summary>Rate limiting at the door.</summary>
    public RateLimitingInfo? RateLimiting { get; init; }

    /// <summary>Alerts that are firing.</summary>
    public IReadOnlyList<AlertInfo>? Alerts { get; init; }

    /// <summary>Parts of the answer this client does not model.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Extra { get; init; }
}
