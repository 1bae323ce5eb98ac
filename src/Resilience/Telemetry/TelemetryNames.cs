namespace Messaging.Resilience.Telemetry;

/// <summary>
/// Names of our own <see cref="System.Diagnostics.ActivitySource"/>s and
/// <see cref="System.Diagnostics.Metrics.Meter"/>s. Each host creates its source and meter with these names;
/// ServiceDefaults subscribes OpenTelemetry tracing and metrics to all of them.
/// </summary>
public static class MessagingTelemetry
{
    /// <summary>The HTTP gateway: commands API, auth, outbox relay, monitoring.</summary>
    public const string Gateway = "Messaging.Gateway";

    /// <summary>The workers: consumers and external service calls.</summary>
    public const string Workers = "Messaging.Workers";

    /// <summary>The shared reliability patterns: pipelines, breakers, rate limits, outbox, dead letters.</summary>
    public const string Resilience = "Messaging.Resilience";

    /// <summary>The command path's own figures (<see cref="CommandMetrics"/>): outcomes, latency, fallbacks.</summary>
    public const string Commands = "Messaging.Commands";

    /// <summary>The outbox relay's spans (each continues the trace stored in its outbox row).</summary>
    public const string Outbox = "Messaging.Outbox";

    /// <summary>Every name above, for subscribing to all of them at once.</summary>
    public static IReadOnlyList<string> All { get; } = [Gateway, Workers, Resilience, Commands, Outbox];
}
