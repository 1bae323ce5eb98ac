using System.ComponentModel.DataAnnotations;

namespace Messaging.Resilience.Outbox;

/// <summary>Settings of the outbox relay (section <c>Outbox:Relay</c>).</summary>
public sealed class OutboxRelayOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Outbox:Relay";

    /// <summary>Whether this process runs a relay. Several relays may run at once.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>The most rows one claim leases (fewer when fewer publishes may start, see <see cref="MaxInFlight"/>).</summary>
    /// <value>The default value is 100.</value>
    [Range(1, 5000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// Messages this process's relay keeps published and awaiting the broker's confirm (read at start). The relay claims
    /// the next rows as confirms arrive, so the broker sees a steady stream rather than bursts.
    /// </summary>
    /// <value>The default value is 200.</value>
    [Range(1, 10_000)]
    public int MaxInFlight { get; set; } = 200;

    /// <summary>
    /// How long a claim leases its rows: no other relay claims them until it passes. A relay that crashed (or stalled
    /// this long) leaves its rows to any relay once their lease expires; the workers' inbox absorbs a duplicate. At least
    /// twice <see cref="PublishTimeout"/>.
    /// </summary>
    /// <remarks>
    /// Also how long rows that a crashed relay had claimed but not marked wait before any relay publishes them.
    /// </remarks>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Claims run at once by this process's relay (read at start): one claim's round trip overlaps another's, while the
    /// publishes of earlier claims await their confirms. Leased rows are never claimed twice.
    /// </summary>
    /// <value>The default value is 2.</value>
    [Range(1, 16)]
    public int Concurrency { get; set; } = 2;

    /// <summary>How often the relay looks for rows written by other processes (or due delayed retries).</summary>
    /// <value>The default value is 1 second.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one publish may wait for the broker's confirm.</summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest pause between passes while the broker or the database fails.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (LeaseDuration < PublishTimeout * 2)
        {
            yield return new ValidationResult(
                $"{nameof(LeaseDuration)} must be at least twice {nameof(PublishTimeout)}: a row must not be claimed again while its publish may still be confirmed.",
                [nameof(LeaseDuration), nameof(PublishTimeout)]);
        }
    }
}
