using System.ComponentModel.DataAnnotations;

namespace Messaging.Resilience.Pipelines;

/// <summary>
/// The resilience settings of one dependency (section <c>Resilience:Dependencies:&lt;name&gt;</c>),
/// reloaded without restart. Every timeout is further bounded by the command's deadline, when there is one.
/// </summary>
public sealed class DependencyPipelineOptions
{
    /// <summary>The configuration section that holds one child section per dependency.</summary>
    public const string SectionName = "Resilience:Dependencies";

    /// <summary>The limit for one attempt.</summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The limit for a call including its retries.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Immediate retries.</summary>
    [Required]
    public RetrySettings Retry { get; set; } = new();

    /// <summary>The circuit breaker.</summary>
    [Required]
    public BreakerSettings Breaker { get; set; } = new();

    /// <summary>The retry budget shared by every layer that retries this dependency.</summary>
    [Required]
    public RetryBudgetOptions RetryBudget { get; set; } = new();

    /// <summary>Immediate retries with exponential backoff and jitter.</summary>
    public sealed class RetrySettings
    {
        /// <summary>Retries after the first attempt (0 disables retries).</summary>
        /// <value>The default value is 3.</value>
        [Range(0, 20)]
        public int MaxRetryAttempts { get; set; } = 3;

        /// <summary>The first backoff delay; it doubles with each retry.</summary>
        /// <value>The default value is 200 milliseconds.</value>
        [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
        public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

        /// <summary>The cap on one backoff delay.</summary>
        /// <value>The default value is 5 seconds.</value>
        [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
        public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>Whether delays are jittered (decorrelated jitter) so callers do not retry in lockstep.</summary>
        /// <value>The default value is <see langword="true"/>.</value>
        public bool UseJitter { get; set; } = true;

        /// <summary>The longest <c>Retry-After</c> honoured by an immediate retry; longer waits are left to delayed retries.</summary>
        /// <value>The default value is 10 seconds.</value>
        [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
        public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(10);
    }

    /// <summary>Circuit breaker thresholds.</summary>
    public sealed class BreakerSettings
    {
        /// <summary>The share of failed calls in the sampling window that opens the breaker.</summary>
        /// <value>The default value is 0.5.</value>
        [Range(0.01, 1.0)]
        public double FailureRatio { get; set; } = 0.5;

        /// <summary>Calls needed in the window before the ratio is considered.</summary>
        /// <value>The default value is 10.</value>
        [Range(2, 100_000)]
        public int MinimumThroughput { get; set; } = 10;

        /// <summary>The sliding window of calls.</summary>
        /// <value>The default value is 30 seconds.</value>
        [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
        public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>How long the breaker stays open before letting a probe through.</summary>
        /// <value>The default value is 15 seconds.</value>
        [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
        public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);

        /// <summary>Calls slower than this count as failures even when they succeed; null disables it.</summary>
        /// <value>The default value is 5 seconds.</value>
        public TimeSpan? SlowCallThreshold { get; set; } = TimeSpan.FromSeconds(5);
    }
}
