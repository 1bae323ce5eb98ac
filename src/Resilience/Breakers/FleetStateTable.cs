using System.Text.Json;
using Messaging.Resilience.Classification;
using Messaging.Resilience.Redis;
using Microsoft.Extensions.Hosting;
using Polly;
using Polly.Registry;
using StackExchange.Redis;

namespace Messaging.Resilience.Breakers;

/// <summary>
/// One kind of per-process state shared through Redis (breakers, breaker-aware endpoints): every process writes
/// its entries into a hash per name (field = the process, value = the state and when it was written), listed in
/// an index set; readers take the entries written within <see cref="EntryLifetime"/>, so a dead process's states
/// vanish by themselves. Calls go through the <c>redis</c> pipeline when the host registered it. Failures are
/// the caller's to log: the exception types it may see are <see cref="IsRedisFailure"/>.
/// </summary>
/// <typeparam name="TState">The published state; serialized as JSON.</typeparam>
internal sealed class FleetStateTable<TState>
    where TState : notnull
{
    /// <summary>How long an entry counts after its write; writers refresh theirs more often than this.</summary>
    public static readonly TimeSpan EntryLifetime = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(2);
    private readonly IConnectionMultiplexer _redis;
    private readonly ResiliencePipelineProvider<string> _pipelines;
    private readonly TimeProvider _timeProvider;
    private readonly RedisKey _indexKey;
    private readonly string _entryPrefix;

    /// <param name="redis">The connection.</param>
    /// <param name="redisOptions">For the key prefix.</param>
    /// <param name="environment">Names this process's field, with the machine and the process id.</param>
    /// <param name="pipelines">Where the <c>redis</c> pipeline is, when the host registered it.</param>
    /// <param name="timeProvider">The clock of the entries' write times.</param>
    /// <param name="index">The index set's name, for example <c>breakers</c>.</param>
    /// <param name="entry">The per-name hash's name before <c>:&lt;name&gt;</c>, for example <c>breaker</c>.</param>
    public FleetStateTable(
        IConnectionMultiplexer redis,
        RedisOptions redisOptions,
        IHostEnvironment environment,
        ResiliencePipelineProvider<string> pipelines,
        TimeProvider timeProvider,
        string index,
        string entry)
    {
        _redis = redis;
        _pipelines = pipelines;
        _timeProvider = timeProvider;
        _indexKey = redisOptions.KeyPrefix + index;
        _entryPrefix = redisOptions.KeyPrefix + entry + ":";
        Instance = $"{environment.ApplicationName}/{Environment.MachineName}/{Environment.ProcessId}";
    }

    /// <summary>This process's name in the table (its field in every hash).</summary>
    public string Instance { get; }

    /// <summary>Whether Redis is connected; while it is not, callers show their own process's states only.</summary>
    public bool IsConnected => _redis.IsConnected;

    private ResiliencePipeline Pipeline => _pipelines.TryGetPipeline(DependencyNames.Redis, out var pipeline) ? pipeline : ResiliencePipeline.Empty;

    /// <summary>
    /// Whether <paramref name="exception"/> is a failure of Redis (or of its pipeline) rather than a bug: Redis
    /// unavailable (<see cref="DependencyUnavailable.IsRedisUnavailable"/>), an error reply, or an entry that cannot
    /// be read. The table is a best-effort view, so its callers log all of them and go on with their own states.
    /// </summary>
    public static bool IsRedisFailure(Exception exception) =>
        DependencyUnavailable.IsRedisFailure(exception) || exception is JsonException;

    /// <summary>Writes this process's state for <paramref name="name"/> and refreshes the expiries.</summary>
    public async Task WriteAsync(string name, TState state)
    {
        var key = EntryKey(name);
        var value = JsonSerializer.Serialize(new Entry(state, _timeProvider.GetUtcNow()));
        var batch = _redis.GetDatabase().CreateBatch();
        var tasks = new Task[]
        {
            batch.SetAddAsync(_indexKey, name),
            batch.HashSetAsync(key, Instance, value),
            batch.KeyExpireAsync(key, EntryLifetime * 3),
            batch.KeyExpireAsync(_indexKey, TimeSpan.FromDays(1)),
        };
        batch.Execute();
        await Pipeline.ExecuteAsync(async ct => await Task.WhenAll(tasks).WaitAsync(CallTimeout, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>Every live entry of every process: (name, state), in no particular order.</summary>
    public async Task<List<(string Name, TState State)>> ReadLiveAsync(CancellationToken cancellationToken)
    {
        var database = _redis.GetDatabase();
        var names = await Pipeline.ExecuteAsync(async ct => await database.SetMembersAsync(_indexKey).WaitAsync(CallTimeout, ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        var now = _timeProvider.GetUtcNow();
        var live = new List<(string, TState)>();
        foreach (var name in names.Select(n => n.ToString()))
        {
            var key = EntryKey(name);
            var entries = await Pipeline.ExecuteAsync(async ct => await database.HashGetAllAsync(key).WaitAsync(CallTimeout, ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            foreach (var entry in entries)
            {
                if (JsonSerializer.Deserialize<Entry>(entry.Value.ToString()) is { } written && now - written.UpdatedAt <= EntryLifetime)
                {
                    live.Add((name, written.State));
                }
            }
        }

        return live;
    }

    private RedisKey EntryKey(string name) => _entryPrefix + name;

    private sealed record Entry(TState State, DateTimeOffset UpdatedAt);
}
