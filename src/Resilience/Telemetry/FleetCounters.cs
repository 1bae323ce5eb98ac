using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Messaging.Resilience.Classification;
using Messaging.Resilience.Redis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;
using StackExchange.Redis;

namespace Messaging.Resilience.Telemetry;

/// <summary>
/// Makes a few of every process's counters visible to the gateway's built-in alert rules, the way Prometheus
/// would see them, without a Prometheus: each process listens to its own instruments (a <see cref="MeterListener"/>
/// scoped to its <see cref="IMeterFactory"/>, so no call site changes) and publishes its running totals to Redis
/// every few seconds, with an expiry so a dead process's entries vanish. The series kept are
/// <see cref="RetryBudgetExhausted"/> (by dependency) and <see cref="RateLimitRejections"/> (by policy).
/// Without Redis the reader still sees this process's own totals.
/// </summary>
public sealed partial class FleetCounters : BackgroundService
{
    /// <summary>The series of <c>messaging.resilience.retry_budget.exhausted</c>, keyed <c>retry_budget_exhausted|{dependency}</c>.</summary>
    public const string RetryBudgetExhausted = "retry_budget_exhausted";

    /// <summary>The series of rejected <c>messaging.rate_limiting.decisions</c>, keyed <c>rate_limit_rejected|{policy}</c>.</summary>
    public const string RateLimitRejections = "rate_limit_rejected";

    private static readonly TimeSpan PublishInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan EntryLifetime = TimeSpan.FromSeconds(20);
    private readonly ConcurrentDictionary<string, StrongBox> _totals = new(StringComparer.Ordinal);
    private readonly IMeterFactory _meterFactory;
    private readonly IConnectionMultiplexer? _redis;
    private readonly ResiliencePipelineProvider<string>? _pipelines;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<FleetCounters> _logger;
    private readonly string _prefix;
    private readonly MeterListener _listener;

    /// <summary>Creates the counters and starts listening to this process's instruments.</summary>
    public FleetCounters(
        IMeterFactory meterFactory,
        IConnectionMultiplexer? redis,
        IOptions<RedisOptions> redisOptions,
        IHostEnvironment environment,
        ResiliencePipelineProvider<string>? pipelines,
        TimeProvider timeProvider,
        ILogger<FleetCounters> logger)
    {
        ArgumentNullException.ThrowIfNull(redisOptions);
        ArgumentNullException.ThrowIfNull(environment);
        _meterFactory = meterFactory;
        _redis = redis;
        _pipelines = pipelines;
        _timeProvider = timeProvider;
        _logger = logger;
        _prefix = redisOptions.Value.KeyPrefix;
        Instance = $"{environment.ApplicationName}/{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..6]}";
        _listener = new MeterListener { InstrumentPublished = OnInstrumentPublished };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>This process's name in the fleet.</summary>
    public string Instance { get; }

    private RedisKey IndexKey => _prefix + "fleet";

    private ResiliencePipeline Redis => _pipelines is not null && _pipelines.TryGetPipeline(DependencyNames.Redis, out var pipeline) ? pipeline : ResiliencePipeline.Empty;

    /// <summary>This process's running totals, by series key (<c>{series}|{key}</c>).</summary>
    public IReadOnlyDictionary<string, long> LocalTotals() =>
        _totals.ToDictionary(pair => pair.Key, pair => Interlocked.Read(ref pair.Value.Value), StringComparer.Ordinal);

    /// <summary>
    /// The running totals of every live process, by instance then series key. This process's own totals are
    /// always included (read locally), so the answer degrades to this process alone while Redis is away.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>> ReadAsync(CancellationToken cancellationToken = default)
    {
        var fleet = new Dictionary<string, IReadOnlyDictionary<string, long>>(StringComparer.Ordinal);
        if (_redis is { IsConnected: true })
        {
            try
            {
                var database = _redis.GetDatabase();
                var instances = await Redis.ExecuteAsync(
                    async ct => await database.SetMembersAsync(IndexKey).WaitAsync(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false),
                    cancellationToken).ConfigureAwait(false);
                foreach (var instance in instances.Select(i => i.ToString()))
                {
                    var entries = await Redis.ExecuteAsync(
                        async ct => await database.HashGetAllAsync(InstanceKey(instance)).WaitAsync(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false),
                        cancellationToken).ConfigureAwait(false);
                    if (entries.Length == 0)
                    {
                        // Expired: the process is gone.
                        _ = database.SetRemoveAsync(IndexKey, instance, CommandFlags.FireAndForget);
                        continue;
                    }

                    fleet[instance] = entries.ToDictionary(
                        e => e.Name.ToString(),
                        e => long.TryParse(e.Value.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0,
                        StringComparer.Ordinal);
                }
            }
            catch (Exception ex) when (DependencyUnavailable.IsRedisFailure(ex))
            {
                Log.FleetReadFailed(_logger, ex.GetType().Name);
            }
        }

        fleet[Instance] = LocalTotals();
        return fleet;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await PublishAsync().ConfigureAwait(false);
                await Task.Delay(PublishInterval, _timeProvider, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _listener.Dispose();
        base.Dispose();
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (ReferenceEquals(instrument.Meter.Scope, _meterFactory)
            && instrument.Name is "messaging.resilience.retry_budget.exhausted" or "messaging.rate_limiting.decisions")
        {
            listener.EnableMeasurementEvents(instrument);
        }
    }

    private void OnMeasurement(Instrument instrument, long measurement, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? key = null;
        if (instrument.Name == "messaging.resilience.retry_budget.exhausted")
        {
            key = RetryBudgetExhausted + "|" + TagValue(tags, "messaging.resilience.dependency");
        }
        else if (TagValue(tags, "messaging.rate_limiting.result") == "rejected")
        {
            key = RateLimitRejections + "|" + TagValue(tags, "messaging.rate_limiting.policy");
        }

        if (key is not null)
        {
            Interlocked.Add(ref _totals.GetOrAdd(key, static _ => new StrongBox()).Value, measurement);
        }
    }

    private static string TagValue(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value?.ToString() ?? "";
            }
        }

        return "";
    }

    private async Task PublishAsync()
    {
        var totals = LocalTotals();
        if (_redis is not { IsConnected: true } || totals.Count == 0)
        {
            return;
        }

        try
        {
            var database = _redis.GetDatabase();
            var key = InstanceKey(Instance);
            var batch = database.CreateBatch();
            var tasks = new Task[]
            {
                batch.HashSetAsync(key, totals.Select(t => new HashEntry(t.Key, t.Value)).ToArray()),
                batch.KeyExpireAsync(key, EntryLifetime),
                batch.SetAddAsync(IndexKey, Instance),
                batch.KeyExpireAsync(IndexKey, TimeSpan.FromDays(1)),
            };
            batch.Execute();
            await Redis.ExecuteAsync(async ct => await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyUnavailable.IsRedisFailure(ex))
        {
            Log.PublishFailed(_logger, ex.GetType().Name);
        }
    }

    // Redis unavailable, or answering with an error: the counters are best-effort either way, so both are logged
    // and this process goes on with its own totals (a publish failure must never stop the background loop).

    private RedisKey InstanceKey(string instance) => _prefix + "fleet:" + instance;

    private sealed class StrongBox
    {
#pragma warning disable SA1401, CA1051 // Interlocked needs a field.
        public long Value;
#pragma warning restore SA1401, CA1051
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7050, EventName = "FleetCountersPublishFailed", Level = LogLevel.Debug,
            Message = "Could not publish this process's counters to Redis ({ErrorType})")]
        public static partial void PublishFailed(ILogger logger, string errorType);

        [LoggerMessage(EventId = 7051, EventName = "FleetCountersReadFailed", Level = LogLevel.Warning,
            Message = "Could not read the fleet's counters from Redis ({ErrorType}); using this process's only")]
        public static partial void FleetReadFailed(ILogger logger, string errorType);
    }
}
