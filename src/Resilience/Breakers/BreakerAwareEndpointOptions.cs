using System.ComponentModel.DataAnnotations;

namespace Messaging.Resilience.Breakers;

/// <summary>Settings of breaker-aware consumption (section <c>Commands:Types:&lt;type&gt;:Flow</c>).</summary>
public sealed class BreakerAwareEndpointOptions
{
    /// <summary>Messages executed at once when every dependency is healthy.</summary>
    /// <value>The default value is 8.</value>
    [Range(1, 1000)]
    public int ConcurrencyLimit { get; set; } = 8;

    /// <summary>How long each step of the ramp-up lasts after a successful probe (the limit doubles per step).</summary>
    /// <value>The default value is 2 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan RampStepInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>When a breaker opened without saying for how long, the pause before the probe.</summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan DefaultProbeDelay { get; set; } = TimeSpan.FromSeconds(10);
}
