using System.ComponentModel.DataAnnotations;

namespace Messaging.Resilience.Pipelines;

/// <summary>Settings of a dependency's retry budget (as Finagle and Envoy have them).</summary>
public sealed class RetryBudgetOptions
{
    /// <summary>Retries allowed as a share of calls in the window.</summary>
    /// <value>The default value is 0.2 (one retry per five calls).</value>
    [Range(0.0, 10.0)]
    public double RetryRatio { get; set; } = 0.2;

    /// <summary>Retries always allowed per second, so a quiet dependency can still be retried.</summary>
    /// <value>The default value is 5.</value>
    [Range(0, 10_000)]
    public int MinRetriesPerSecond { get; set; } = 5;

    /// <summary>The sliding window over which calls and retries are counted.</summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(10);
}
