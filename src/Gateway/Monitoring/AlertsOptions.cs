using System.ComponentModel.DataAnnotations;

namespace Messaging.Gateway.Monitoring;

/// <summary>
/// Thresholds of the built-in alert rules (section <c>Alerts</c>); the same figures as deploy/prometheus/alerts.yml.
/// Rules are evaluated after every monitoring sample (<see cref="MonitoringOptions.SampleInterval"/>).
/// </summary>
public sealed class AlertsOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Alerts";

    /// <summary>Gets or sets how long a breaker may stay open (or half-open, or isolated) before <c>BreakerOpen</c> fires.</summary>
    /// <value>The default value is 1 minute.</value>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Alerts:BreakerOpenFor must be between 0 and 1 day.")]
    public TimeSpan BreakerOpenFor { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets the window in which new dead letters make <c>DeadLettersGrowing</c> fire.</summary>
    /// <value>The default value is 10 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Alerts:DeadLetterWindow must be between 1 s and 1 day.")]
    public TimeSpan DeadLetterWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets how many new dead letters within <see cref="DeadLetterWindow"/> make <c>DeadLettersGrowing</c> fire.</summary>
    /// <value>The default value is 1.</value>
    [Range(1, 1_000_000, ErrorMessage = "Alerts:DeadLetterGrowth must be between 1 and 1000000.")]
    public int DeadLetterGrowth { get; set; } = 1;

    /// <summary>Gets or sets the age of the oldest due outbox row above which <c>OutboxLag</c> fires.</summary>
    /// <value>The default value is 2 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Alerts:OutboxOldestPendingAge must be between 1 s and 1 day.")]
    public TimeSpan OutboxOldestPendingAge { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Gets or sets how long a queue may hold messages without a consumer before <c>QueueWithoutConsumers</c> fires.</summary>
    /// <value>The default value is 2 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Alerts:QueueWithoutConsumersFor must be between 0 and 1 day.")]
    public TimeSpan QueueWithoutConsumersFor { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Gets or sets how many rate-limit rejections across the fleet within one minute make <c>RateLimitRejectionSurge</c> fire.</summary>
    /// <value>The default value is 100.</value>
    [Range(1, 100_000_000, ErrorMessage = "Alerts:RejectionSurgePerMinute must be between 1 and 100000000.")]
    public int RejectionSurgePerMinute { get; set; } = 100;

    /// <summary>Gets or sets how long a readiness check may report Unhealthy (or Degraded) before <c>DependencyUnhealthy</c> fires.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Alerts:UnhealthyFor must be between 0 and 1 day.")]
    public TimeSpan UnhealthyFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the window in which any retry refused for an exhausted budget makes <c>RetryBudgetExhausted</c> fire.</summary>
    /// <value>The default value is 5 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Alerts:RetryBudgetWindow must be between 1 s and 1 day.")]
    public TimeSpan RetryBudgetWindow { get; set; } = TimeSpan.FromMinutes(5);
}
