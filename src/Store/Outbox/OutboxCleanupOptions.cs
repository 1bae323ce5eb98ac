using System.ComponentModel.DataAnnotations;

namespace Messaging.Store.Outbox;

/// <summary>
/// Settings of the retention job that deletes old sent outbox rows and old inbox rows (section <c>Outbox:Cleanup</c>).
/// </summary>
public sealed class OutboxCleanupOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Outbox:Cleanup";

    /// <summary>Whether this process runs the cleanup. Several may run at once; an advisory lock lets one work at a time.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How long sent outbox rows (by <c>sent_at</c>) and inbox rows (by <c>processed_at</c>) are kept. Unsent
    /// outbox rows are never deleted, whatever their age.
    /// </summary>
    /// <value>The default value is 7 days.</value>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The pause between two cleanup passes.</summary>
    /// <value>The default value is 5 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Rows deleted per DELETE statement (each in its own short transaction).</summary>
    /// <value>The default value is 1,000.</value>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 1000;
}
