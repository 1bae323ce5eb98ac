using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Messaging.Resilience.Breakers;

/// <summary>
/// The breaker-aware endpoints of this process, by name: the consumers create theirs here, and
/// <see cref="SharedEndpointStates"/> publishes their states for the monitoring overview.
/// </summary>
public sealed class BreakerAwareEndpoints : IDisposable
{
    private readonly ConcurrentDictionary<string, BreakerAwareEndpoint> _endpoints = new(StringComparer.Ordinal);
    private readonly BreakerRegistry _registry;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;

    /// <summary>Creates the collection and its gauges (one instrument each, one series per endpoint).</summary>
    public BreakerAwareEndpoints(BreakerRegistry registry, ResilienceMetrics metrics, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _registry = registry;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        metrics.Meter.CreateObservableGauge("messaging.endpoint.paused",
            () => Measure(e => e.State == EndpointFlowState.Paused ? 1 : 0),
            description: "1 while a breaker-aware endpoint is paused because a dependency's breaker is open.");
        metrics.Meter.CreateObservableGauge("messaging.endpoint.concurrency_limit",
            () => Measure(e => e.CurrentLimit),
            description: "The current concurrency limit of a breaker-aware endpoint.");
    }

    /// <summary>Raised after any endpoint's state changed. Handlers must be quick.</summary>
    public event Action<BreakerAwareEndpoint>? StateChanged;

    /// <summary>The endpoint named <paramref name="name"/>, created on first use with these dependencies and options.</summary>
    public BreakerAwareEndpoint GetOrAdd(string name, IEnumerable<string> dependencies, BreakerAwareEndpointOptions options) =>
        _endpoints.GetOrAdd(name, n =>
        {
            var endpoint = new BreakerAwareEndpoint(n, dependencies, _registry, options, _timeProvider,
                _loggerFactory.CreateLogger<BreakerAwareEndpoint>());
            endpoint.StateChanged += e => StateChanged?.Invoke(e);
            return endpoint;
        });

    /// <summary>The endpoint named <paramref name="name"/>, if this process has one.</summary>
    public bool TryGet(string name, out BreakerAwareEndpoint endpoint) => _endpoints.TryGetValue(name, out endpoint!);

    /// <summary>Every endpoint's current state, by name.</summary>
    public IReadOnlyList<EndpointSnapshot> Snapshot() =>
        _endpoints.Values.Select(Snapshot).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    /// <summary>One endpoint's current state.</summary>
    public static EndpointSnapshot Snapshot(BreakerAwareEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return new EndpointSnapshot(endpoint.Name, endpoint.State, endpoint.Since, endpoint.CurrentLimit, endpoint.PausedBy);
    }

    private IEnumerable<Measurement<int>> Measure(Func<BreakerAwareEndpoint, int> value) =>
        _endpoints.Values.Select(e => new Measurement<int>(value(e), new KeyValuePair<string, object?>("messaging.endpoint", e.Name)));

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var endpoint in _endpoints.Values)
        {
            endpoint.Dispose();
        }
    }
}
