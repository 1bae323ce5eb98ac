using System.ComponentModel.DataAnnotations;

namespace Messaging.Store.DeadLetters;

/// <summary>Redrive settings (section <c>DeadLetters:Redrive</c>).</summary>
public sealed class RedriveOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "DeadLetters:Redrive";

    /// <summary>Dead letters one bulk request may redrive.</summary>
    /// <value>The default value is 500.</value>
    [Range(1, 100_000)]
    public int MaxPerRequest { get; set; } = 500;

    /// <summary>The gap between redriven commands, so a bulk redrive reaches the provider at a bounded rate.</summary>
    /// <value>The default value is 20 milliseconds (50 per second).</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan Spacing { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How far ahead a redrive request's <c>deadline</c> may lie (a later one is refused with 400).</summary>
    /// <value>The default value is 30 days.</value>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan MaxDeadlineAhead { get; set; } = TimeSpan.FromDays(30);
}
