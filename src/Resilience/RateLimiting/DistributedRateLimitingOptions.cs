using System.ComponentModel.DataAnnotations;

namespace Messaging.Resilience.RateLimiting;

/// <summary>
/// How the Redis limiter behaves when Redis cannot answer (section <c>RateLimiting</c>). The Redis calls
/// themselves go through the <c>redis</c> dependency pipeline (its attempt timeout and breaker decide what
/// "unreachable or slow" means), configured under <c>Resilience:Dependencies:redis</c>.
/// </summary>
public sealed class DistributedRateLimitingOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "RateLimiting";

    /// <summary>
    /// The share of every quota this instance may grant on its own while Redis is unreachable: with two
    /// gateways, 0.5 keeps the fleet at about the configured quota; with five workers, 0.2.
    /// </summary>
    /// <value>The default value is 0.5.</value>
    [Range(0.001, 1.0)]
    public double InstanceShare { get; set; } = 0.5;

    /// <summary>While on the local fallback, how often Redis is tried again (by a request or a readiness check).</summary>
    /// <value>The default value is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(5);
}
