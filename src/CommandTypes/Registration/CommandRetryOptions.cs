using System.ComponentModel.DataAnnotations;

namespace Messaging.CommandTypes;

/// <summary>
/// Delayed retries of one command type (section <c>Commands:Types:&lt;type&gt;:Retry</c>). After the
/// provider pipeline's own immediate retries, a transient failure of attempt <c>n</c> schedules attempt
/// <c>n + 1</c> through the outbox after <c>min(MaxDelay, BaseDelay × 2^(n-1))</c>, jittered down by up
/// to half (or after the provider's <c>Retry-After</c>); attempt <see cref="MaxAttempts"/> failing
/// dead-letters the command. Breaker pauses and rate-limit deferrals do not count as attempts.
/// </summary>
public sealed class CommandRetryOptions
{
    /// <summary>Attempts in total, the first included; the last one failing dead-letters the command.</summary>
    /// <value>The default value is 5.</value>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The delay before the second attempt; it doubles with each further attempt.</summary>
    /// <value>The default value is 2 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long after the first failed attempt retries go on, if limited by time as well as by <see cref="MaxAttempts"/>: a
    /// failure whose next attempt would come later than that dead-letters the command. Null: attempts alone limit retries.
    /// </summary>
    /// <value>The default value is null.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan? MaxRetryPeriod { get; set; }

    /// <summary>The longest delay between two attempts (before jitter).</summary>
    /// <value>The default value is 5 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(5);
}
