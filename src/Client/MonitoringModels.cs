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

/// <summary>One queue.</summary>
/// <param name="Name">The queue name.</param>
/// <param name="Ready">Messages waiting.</param>
/// <param name="Unacked">Messages delivered and not yet acknowledged.</param>
/// <param name="Consumers">Consumers attached.</param>
/// <param name="PublishRate">Messages in per second.</param>
/// <param name="DeliverRate">Messages out per second.</param>
public sealed record QueueInfo(string Name, long? Ready, long? Unacked, int? Consumers, double? PublishRate, double? DeliverRate);

/// <summary>Dead letters in store.</summary>
/// <param name="Total">All dead letters.</param>
/// <param name="ByType">Per command type.</param>
public sealed record DeadLetterSummary(long? Total, IReadOnlyDictionary<string, long>? ByType);

/// <summary>One circuit breaker.</summary>
/// <param name="Name">The breaker's name, for example <c>payments@127.0.0.1:5091</c>.</param>
/// <param name="State"><c>closed</c>, <c>open</c>, <c>half-open</c> or <c>isolated</c>.</param>
/// <param name="Since">When it entered this state.</param>
public sealed record BreakerInfo(string Name, string State, DateTimeOffset? Since);

/// <summary>The outbox backlog.</summary>
/// <param name="Pending">Rows not yet delivered.</param>
/// <param name="OldestPendingSeconds">Age of the oldest of them.</param>
public sealed record OutboxInfo(long? Pending, double? OldestPendingSeconds);

/// <summary>Rate limiting at the door.</summary>
/// <param name="RejectedLastMinute">Requests refused with 429 in the last minute.</param>
/// <param name="Degraded">Whether instances fell back to local limiters (Redis unreachable).</param>
public sealed record RateLimitingInfo(long? RejectedLastMinute, bool? Degraded);

/// <summary>An alert that is firing.</summary>
/// <param name="Rule">The rule's name.</param>
/// <param name="Severity">Its severity.</param>
/// <param name="Since">Since when it fires.</param>
/// <param name="Message">What it says.</param>
public sealed record AlertInfo(string Rule, string? Severity, DateTimeOffset? Since, string? Message);

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

/// <summary>A stored dead letter as the monitoring API shows it (without its body).</summary>
/// <param name="Id">The dead letter's id.</param>
/// <param name="CommandId">Its command, when the message could be read.</param>
/// <param name="Tenant">Its tenant, when known.</param>
/// <param name="Type">Its command type, when known.</param>
/// <param name="Attempts">Executions before it was dead-lettered.</param>
/// <param name="FirstFailureAt">The first failure.</param>
/// <param name="LastFailureAt">The last failure.</param>
/// <param name="ExceptionType">The kind of the last failure.</param>
/// <param name="Reason">A safe, short reason.</param>
/// <param name="Source">How it got here: <c>retries-exhausted</c>, <c>poison</c>, <c>consumer-fault</c> or <c>delivery-limit</c>.</param>
/// <param name="CreatedAt">When it was stored.</param>
/// <param name="RedrivenAt">When it was redriven, if it was.</param>
/// <param name="RedrivenBy">Who redrove it.</param>
public sealed record DeadLetterInfo(
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

/// <summary>What a redrive did.</summary>
public sealed record DeadLetterRedriveResult
{
    /// <summary>Dead letters put back on the path (each at most once).</summary>
    public int Redriven { get; init; }

    /// <summary>Matching dead letters that cannot be redriven (unreadable: there is no command to run again).</summary>
    public int Skipped { get; init; }

    /// <summary>Anything else the gateway answered.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Extra { get; init; }
}
