using Messaging.Resilience.Redis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Registry;
using StackExchange.Redis;

namespace Messaging.Resilience.Breakers;

/// <summary>
/// Makes every process's breaker-aware endpoints visible from any other through Redis, the way
/// <see cref="SharedBreakerStates"/> does for breakers: each process publishes its endpoints' states (on
/// every change and every few seconds, with an expiry so a dead process's entries vanish), and the
/// gateway's monitoring overview reads the fleet. Without Redis each process shows its own endpoints.
/// </summary>
public sealed partial class SharedEndpointStates(
    BreakerAwareEndpoints endpoints,
    IConnectionMultiplexer redis,
    IOptions<RedisOptions> redisOptions,
    IHostEnvironment environment,
    ResiliencePipelineProvider<string> pipelines,
    TimeProvider timeProvider,
    ILogger<SharedEndpointStates> logger) : BackgroundService
{
    private static readonly TimeSpan PublishInterval = TimeSpan.FromSeconds(5);
    private readonly FleetStateTable<PublishedState> _table = new(redis, redisOptions.Value, environment, pipelines, timeProvider, "endpoints", "endpoint");

    /// <summary>
    /// The endpoints of every live process: per name the state of the instance that is furthest from
    /// running (paused, then probing, then ramping), with that instance's figures.
    /// </summary>
    public async Task<IReadOnlyList<EndpointSnapshot>> FleetSnapshotAsync(CancellationToken cancellationToken = default)
    {
        var states = endpoints.Snapshot().ToDictionary(s => s.Name, StringComparer.Ordinal);
        if (_table.IsConnected)
        {
            try
            {
                foreach (var (name, published) in await _table.ReadLiveAsync(cancellationToken).ConfigureAwait(false))
                {
                    var candidate = new EndpointSnapshot(name, published.State, published.Since, published.ConcurrencyLimit, published.PausedBy);
                    states[name] = states.TryGetValue(name, out var current) ? FurtherFromRunning(current, candidate) : candidate;
                }
            }
            catch (Exception ex) when (FleetStateTable<PublishedState>.IsRedisFailure(ex))
            {
                Log.FleetReadFailed(logger, ex.GetType().Name);
            }
        }

        return Ordered(states);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        endpoints.StateChanged += OnStateChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                foreach (var snapshot in endpoints.Snapshot())
                {
                    await PublishAsync(snapshot).ConfigureAwait(false);
                }

                await Task.Delay(PublishInterval, timeProvider, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            endpoints.StateChanged -= OnStateChanged;
        }
    }

    private void OnStateChanged(BreakerAwareEndpoint endpoint) => _ = PublishAsync(BreakerAwareEndpoints.Snapshot(endpoint));

    private async Task PublishAsync(EndpointSnapshot snapshot)
    {
        if (!_table.IsConnected)
        {
            return;
        }

        try
        {
            await _table.WriteAsync(snapshot.Name, new PublishedState(snapshot.State, snapshot.Since, snapshot.ConcurrencyLimit, snapshot.PausedBy))
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (FleetStateTable<PublishedState>.IsRedisFailure(ex))
        {
            Log.PublishFailed(logger, snapshot.Name, ex.GetType().Name);
        }
    }

    private static List<EndpointSnapshot> Ordered(Dictionary<string, EndpointSnapshot> states) =>
        states.Values.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    private static EndpointSnapshot FurtherFromRunning(EndpointSnapshot a, EndpointSnapshot b)
    {
        var distanceA = Distance(a.State);
        var distanceB = Distance(b.State);
        if (distanceA != distanceB)
        {
            return distanceA > distanceB ? a : b;
        }

        return a.Since <= b.Since ? a : b;
    }

    private static int Distance(EndpointFlowState state) => state switch
    {
        EndpointFlowState.Paused => 3,
        EndpointFlowState.Probing => 2,
        EndpointFlowState.Ramping => 1,
        _ => 0,
    };

    private sealed record PublishedState(EndpointFlowState State, DateTimeOffset Since, int ConcurrencyLimit, string? PausedBy);

    private static partial class Log
    {
        [LoggerMessage(EventId = 2040, EventName = "EndpointStatePublishFailed", Level = LogLevel.Debug,
            Message = "Could not publish the state of endpoint {Endpoint} to Redis ({ErrorType})")]
        public static partial void PublishFailed(ILogger logger, string endpoint, string errorType);

        [LoggerMessage(EventId = 2041, EventName = "EndpointFleetReadFailed", Level = LogLevel.Warning,
            Message = "Could not read other processes' endpoint states from Redis ({ErrorType}); showing this process's only")]
        public static partial void FleetReadFailed(ILogger logger, string errorType);
    }
}
