using BenchmarkDotNet.Attributes;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Messaging.Benchmarks;

/// <summary>
/// R1: one rate limit decision through <see cref="DistributedRateLimits"/> (the <c>redis</c> pipeline, the GCRA
/// script by EVALSHA, the decision and its metric) against a raw <c>EVALSHA</c> of the same script with the same
/// keys and arguments through StackExchange.Redis, at the same concurrency (<see cref="Concurrency"/> decisions in
/// flight; one invocation is one batch of that many decisions). Plus the local fallback decision, alone and through the limiter while
/// degraded. Needs Redis on 127.0.0.1:6379 (<c>scripts/services up</c>).
/// </summary>
[MemoryDiagnoser]
public class RateLimiterBenchmarks
{
    private const int Scopes = 1024;
    private static readonly RateLimitRule Rule = RateLimitRule.Create(100_000_000, TimeSpan.FromSeconds(1));
    private static readonly RateLimitBucket[] Buckets = [new RateLimitBucket("", Rule)];
    private readonly string[] _scopes = Enumerable.Range(0, Scopes).Select(i => "bench:" + i).ToArray();
    private RedisKey[][] _keys = null!;
    private RedisValue[] _values = null!;
    private IHost _redisHost = null!;
    private IHost _degradedHost = null!;
    private DistributedRateLimits _limits = null!;
    private DistributedRateLimits _degraded = null!;
    private LocalRateLimits _local = null!;
    private IDatabase _database = null!;
    private int _next;

    /// <summary>Decisions in flight at once.</summary>
    [Params(1, 16)]
    public int Concurrency { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var prefix = "bench" + Guid.NewGuid().ToString("N")[..8] + ":";
        _redisHost = BuildHost("127.0.0.1:6379", prefix);
        _limits = _redisHost.Services.GetRequiredService<DistributedRateLimits>();
        var store = (RedisRateLimitStore)_redisHost.Services.GetRequiredService<IRateLimitStore>();
        _database = _redisHost.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        _keys = _scopes.Select(scope => new[] { store.Key(scope, ""), store.Key(scope, "pause") }).ToArray();
        _values = [1, RedisRateLimitStore.Microseconds(Rule.EmissionInterval), Rule.EffectiveBurst];
        _database.ScriptEvaluate(RateLimitScripts.Acquire, _keys[0], _values); // loads the script for EVALSHA

        // Nothing listens on port 1: the first decision fails over to the local share, and the probe interval
        // keeps every later one local.
        _degradedHost = BuildHost("127.0.0.1:1,connectTimeout=100", prefix);
        _degraded = _degradedHost.Services.GetRequiredService<DistributedRateLimits>();
        _degraded.AcquireAsync("bench", "warm", Rule).AsTask().GetAwaiter().GetResult();
        if (!_degraded.IsDegraded)
        {
            throw new InvalidOperationException("The degraded limiter is not on its local fallback.");
        }

        _local = new LocalRateLimits(TimeProvider.System);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _redisHost.Dispose();
        _degradedHost.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw EVALSHA (StackExchange.Redis)")]
    public Task RawEvalSha() => Run(i => _database.ScriptEvaluateAsync(RateLimitScripts.AcquireHash, _keys[i], _values));

    [Benchmark(Description = "limiter decision (Redis)")]
    public Task LimiterDecision() => Run(i => _limits.AcquireAsync("bench", _scopes[i], Rule).AsTask());

    [Benchmark(Description = "limiter decision (degraded: local fallback)")]
    public Task DegradedDecision() => Run(i => _degraded.AcquireAsync("bench", _scopes[i], Rule).AsTask());

    [Benchmark(Description = "local fallback decision alone")]
    public bool LocalDecision() => _local.Acquire(_scopes[Next()], Buckets, 1, 0.5).IsAllowed;

    private static IHost BuildHost(string redis, string prefix)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Benchmark" });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis,
            ["Redis:KeyPrefix"] = prefix,
            ["RateLimiting:ProbeInterval"] = "00:10:00",
        });
        builder.AddInfrastructurePipelines();
        builder.AddDistributedRateLimiting();
        return builder.Build();
    }

    private int Next() => (int)((uint)Interlocked.Increment(ref _next) % Scopes);

    private async Task Run<T>(Func<int, Task<T>> decide)
    {
        if (Concurrency == 1)
        {
            await decide(Next()).ConfigureAwait(false);
            return;
        }

        var tasks = new Task[Concurrency];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = decide(Next());
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
    }
}
