using System.ComponentModel.DataAnnotations;

namespace Messaging.Store.Outbox;

/// <summary>
/// How long the command path's records are kept (section <c>Retention</c>). <see cref="OutboxCleanup"/> deletes
/// older rows in its passes (when, how many per batch and whether at all: <see cref="OutboxCleanupOptions"/>).
/// Expired idempotency keys are deleted too, and some rows are never deleted, whatever their age: a command that is
/// not terminal, the command of a dead letter that still waits for a redrive, and a dead letter that waits.
/// </summary>
public sealed class RetentionOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Retention";

    /// <summary>
    /// How long a command is kept after its terminal status (by <c>updated_at</c>). The gateway refuses to start when
    /// it is shorter than <c>Commands:IdempotencyRetention</c>: a replayed key would name a deleted command.
    /// </summary>
    /// <value>The default value is 30 days.</value>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan Commands { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a dead letter is kept after it was redriven (by <c>redriven_at</c>).</summary>
    /// <value>The default value is 30 days.</value>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan DeadLetters { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long an audit record is kept (by <c>at</c>).</summary>
    /// <value>The default value is 90 days.</value>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan Audit { get; set; } = TimeSpan.FromDays(90);
}
