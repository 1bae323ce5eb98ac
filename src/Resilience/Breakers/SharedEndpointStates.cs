using System.Text.Json;
using Messaging.Resilience.Redis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
    TimeProvider timeProvider,
    ILogger<SharedEndpointStates> logger) : BackgroundService
{
    private static readonly TimeSpan PublishInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan EntryLifetime = TimeSpan.FromSeconds(20);
    private readonly string _instance = $"{environment.ApplicationName}/{Environment.MachineName}/{Environment.ProcessId}";
    private readonly string _prefix = redisOptions.Value.KeyPrefix;

    private RedisKey IndexKey => _prefix + "endpoints";

    /// <summary>
    /// The endpoints of every live process: per name the state of the instance that is furthest from
    /// running (paused, then probing, then ramping), with that instance's figures.
    /// </summary>
    public async Task<IReadOnlyList<EndpointSnapshot>> FleetSnapshotAsync(CancellationToken cancellationToken = default)
    {
        var states = endpoints.Snapshot().ToDictionary(s => s.Name, StringComparer.Ordinal);
        if (!redis.IsConnected)
        {
            return Ordered(states);
        }

        try
        {
            var database = redis.GetDatabase();
            var names = await database.SetMembersAsync(IndexKey).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            var now = timeProvider.GetUtcNow();
            foreach (var name in names.Select(n => n.ToString()))
            {
                var entries = await database.HashGetAllAsync(EndpointKey(name)).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
                foreach (var entry in entries)
                {
                    var published = JsonSerializer.Deserialize<PublishedState>(entry.Value.ToString());
                    if (published is null || now - published.UpdatedAt > EntryLifetime)
                    {
                        continue;
                    }

                    var candidate = new EndpointSnapshot(name, published.State, published.Since, published.ConcurrencyLimit, published.PausedBy);
                    states[name] = states.TryGetValue(name, out var current) ? FurtherFromRunning(current, candidate) : candidate;
                }
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException)
        {
            Log.FleetReadFailed(logger, ex.GetType().Name);
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
        if (!redis.IsConnected)
        {
            return;
        }

        try
        {
            var database = redis.GetDatabase();
            var key = EndpointKey(snapshot.Name);
            var value = JsonSerializer.Serialize(new PublishedState(snapshot.State, snapshot.Since, snapshot.ConcurrencyLimit, snapshot.PausedBy,
                timeProvider.GetUtcNow()));
            var batch = database.CreateBatch();
            var tasks = new Task[]
            {
                batch.SetAddAsync(IndexKey, snapshot.Name),
                batch.HashSetAsync(key, _instance, value),
                batch.KeyExpireAsync(key, EntryLifetime * 3),
                batch.KeyExpireAsync(IndexKey, TimeSpan.FromDays(1)),
            };
            batch.Execute();
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.PublishFailed(logger, snapshot.Name, ex.GetType().Name);
        }
    }

    private RedisKey EndpointKey(string name) => _prefix + "endpoint:" + name;

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

    private sealed record PublishedState(EndpointFlowState State, DateTimeOffset Since, int ConcurrencyLimit, string? PausedBy, DateTimeOffset UpdatedAt);

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
