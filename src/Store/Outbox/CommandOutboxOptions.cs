namespace Messaging.Store.Outbox;

/// <summary>Settings of <see cref="CommandOutbox"/> (section <c>Outbox:Commands</c>).</summary>
public sealed class CommandOutboxOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Outbox:Commands";

    /// <summary>The time a command may take when neither a timeout nor a deadline is given.</summary>
    /// <value>The default value is 1 hour.</value>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long an idempotency key is remembered (the HTTP API keeps its keys for at least 24 hours).</summary>
    /// <value>The default value is 24 hours.</value>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "1.00:00:00", "30.00:00:00")]
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);
}
