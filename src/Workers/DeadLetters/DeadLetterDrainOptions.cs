using System.ComponentModel.DataAnnotations;

namespace Messaging.Workers.DeadLetters;

/// <summary>The dead-letter drain (section <c>DeadLetters:Drain</c>).</summary>
public sealed class DeadLetterDrainOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "DeadLetters:Drain";

    /// <summary>Whether this process drains the fault queues. Several processes may; each message is stored once.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>The longest wait before trying again to store a message while PostgreSQL (or the broker) is unreachable.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);
}
