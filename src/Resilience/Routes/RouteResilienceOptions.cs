using System.ComponentModel.DataAnnotations;

namespace Messaging.Resilience.Routes;

/// <summary>
/// Protection of one group of HTTP routes (section <c>Resilience:Routes:&lt;name&gt;</c>): a request
/// timeout, a bulkhead (concurrency limit with a short queue) and a breaker over 5xx and timeouts.
/// </summary>
public sealed class RouteResilienceOptions
{
    /// <summary>The configuration section that holds one child section per route group.</summary>
    public const string SectionName = "Resilience:Routes";

    /// <summary>The longest a request may run; then it is answered 503 and its work cancelled.</summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Requests executing at once.</summary>
    /// <value>The default value is 64.</value>
    [Range(1, 100_000)]
    public int ConcurrencyLimit { get; set; } = 64;

    /// <summary>Requests waiting for a slot; beyond that they are refused at once with 503.</summary>
    /// <value>The default value is 32.</value>
    [Range(0, 100_000)]
    public int QueueLimit { get; set; } = 32;

    /// <summary>The share of failed requests (5xx, timeouts, unhandled errors) that opens the breaker.</summary>
    /// <value>The default value is 0.5.</value>
    [Range(0.01, 1.0)]
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Requests in the window before the ratio is considered.</summary>
    /// <value>The default value is 20.</value>
    [Range(2, 1_000_000)]
    public int MinimumThroughput { get; set; } = 20;

    /// <summary>The sliding window of requests.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the route answers 503 before letting a probe request through.</summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(10);
}
