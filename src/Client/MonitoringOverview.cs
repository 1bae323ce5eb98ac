using System.Text.Json;
using System.Text.Json.Serialization;

namespace Messaging.Client;

/// <summary>
/// <c>GET /api/monitoring/overview</c>: the fleet for an operator (scope <c>operator</c>), a tenant's own share for a
/// tenant admin (scope <c>admin</c>, see <see cref="Tenant"/>). Every part is optional: a gateway that does not report
/// a part yet leaves it null, and parts this client does not know are kept in <see cref="Extra"/>.
/// </summary>
public sealed record MonitoringOverview
{
    /// <summary>
    /// The tenant this overview is narrowed to (a tenant admin's view: its queues' share, dead letters and outbox, no
    /// alerts, no rate limiting); null for an operator's view of the fleet, and from a gateway older than the scopes.
    /// </summary>
    public string? Tenant { get; init; }

    /// <summary>
    /// Queue depths, rates and consumers; in a tenant's view its share only (<see cref="QueueInfo.Source"/>
    /// <c>tenant</c>: ready = its waiting commands, unacked = those being executed, no rates).
    /// </summary>
    public IReadOnlyList<QueueInfo>? Queues { get; init; }

    /// <summary>Dead letters in store.</summary>
    public DeadLetterSummary? DeadLetters { get; init; }

    /// <summary>Circuit breakers of every process (shown to tenant admins too: they say why commands wait).</summary>
    public IReadOnlyList<BreakerInfo>? Breakers { get; init; }

    /// <summary>The outbox backlog.</summary>
    public OutboxInfo? Outbox { get; init; }

    /// <summary>Rate limiting at the door; null in a tenant's view (the door's rejections are every tenant's traffic).</summary>
    public RateLimitingInfo? RateLimiting { get; init; }

    /// <summary>Alerts that are firing; empty in a tenant's view (alerts are the fleet's, for operators).</summary>
    public IReadOnlyList<AlertInfo>? Alerts { get; init; }

    /// <summary>Parts of the answer this client does not model.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Extra { get; init; }
}
