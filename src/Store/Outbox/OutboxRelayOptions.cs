using System.ComponentModel.DataAnnotations;

namespace Messaging.Store.Outbox;

/// <summary>Settings of the outbox relay (section <c>Outbox:Relay</c>).</summary>
public sealed class OutboxRelayOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Outbox:Relay";

    /// <summary>Whether this process runs a relay. Several relays may run at once.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Rows claimed and published per pass.</summary>
    /// <value>The default value is 100.</value>
    [Range(1, 5000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// The share of each pass's batch claimed newest-due first; the rest is claimed in due order, oldest first. When
    /// thousands of rows come due at the same moment (scheduled commands, delayed retries after an outage), the burst
    /// drains from its oldest end while a command written meanwhile goes out with the next pass instead of waiting
    /// behind the whole burst. Rows in between wait for the oldest end, so the backlog always moves on. 0 claims in due
    /// order only (first due, first out across the whole backlog). With a batch of 1 the passes take the oldest and the
    /// newest row in turn.
    /// </summary>
    /// <value>The default value is 0.5.</value>
    [Range(0.0, 0.9)]
    public double NewestShare { get; set; } = 0.5;

    /// <summary>
    /// Passes run at once by this process's relay (read at start). Two overlap one pass's database work (claim, mark,
    /// commit) with the other's publishes; rows are never claimed twice (<c>FOR UPDATE SKIP LOCKED</c>).
    /// </summary>
    /// <value>The default value is 2.</value>
    [Range(1, 16)]
    public int Concurrency { get; set; } = 2;

    /// <summary>How often the relay looks for rows written by other processes (or due delayed retries).</summary>
    /// <value>The default value is 1 second.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The least time between the starts of two passes that local commits woke. A commit that arrives sooner after the
    /// last pass began waits out the rest, and so do the commits behind it: under load they share one claim, one
    /// publish round and one mark, instead of a pass each (fewer commits in PostgreSQL and confirm rounds in RabbitMQ per
    /// row). A commit after a quiet spell is claimed at once. Zero wakes a pass for every commit that finds the relay idle.
    /// </summary>
    /// <value>The default value is 10 milliseconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How long one publish may wait for the broker's confirm.</summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest pause between passes while the broker or the database fails.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);
}
