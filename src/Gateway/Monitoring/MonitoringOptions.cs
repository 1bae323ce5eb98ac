using System.ComponentModel.DataAnnotations;

namespace Messaging.Gateway.Monitoring;

/// <summary>How the gateway samples what the overview, the page, the gauges and the alert rules show (section <c>Monitoring</c>).</summary>
public sealed class MonitoringOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Monitoring";

    /// <summary>Gets or sets the time between two samples (queues, outbox, dead letters, breakers, health, fleet counters).</summary>
    /// <value>The default value is 3 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:01:00", ErrorMessage = "Monitoring:SampleInterval must be between 0.5 s and 1 min.")]
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Gets or sets how many samples of each queue are kept for the page's sparklines.</summary>
    /// <value>The default value is 60 (3 minutes at the default interval).</value>
    [Range(2, 1000, ErrorMessage = "Monitoring:HistoryLength must be between 2 and 1000.")]
    public int HistoryLength { get; set; } = 60;
}
