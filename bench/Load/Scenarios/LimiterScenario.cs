using System.Diagnostics;
using Messaging.Load.Infrastructure;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.RateLimiting;
using StackExchange.Redis;
using Role = Messaging.Load.Infrastructure.Role;

namespace Messaging.Load.Scenarios;

/// <summary>
/// Rate limit decisions in this process: ours (<see cref="DistributedRateLimits"/>: the <c>redis</c> pipeline, the
/// GCRA script by EVALSHA, the decision and its metric) against B4 (a raw EVALSHA of the same script, keys and
/// arguments through StackExchange.Redis), both over 1,024 scopes with a limit high enough never to refuse; plus
/// the local fallback a degraded limiter uses, alone.
/// </summary>
internal static class LimiterScenario
{
    private const int Scopes = 1024;
    private static readonly RateLimitRule Rule = RateLimitRule.Create(100_000_000, TimeSpan.FromSeconds(1));

    public static async Task RunAsync(LoadSettings settings, Report report)
    {
        await using var services = new BenchServices();
        var scopes = Enumerable.Range(0, Scopes).Select(i => "load:" + i).ToArray();
        using var host = BuildHost(services.RedisConnectionString, services.RedisKeyPrefix);
        await host.StartAsync().ConfigureAwait(false);
        var limits = host.Services.GetRequiredService<DistributedRateLimits>();
        var store = (RedisRateLimitStore)host.Services.GetRequiredService<IRateLimitStore>();
        var database = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var keys = scopes.Select(scope => new[] { store.Key(scope, ""), store.Key(scope, "pause") }).ToArray();
        RedisValue[] values = [1, RedisRateLimitStore.Microseconds(Rule.EmissionInterval), Rule.EffectiveBurst];
        await database.ScriptEvaluateAsync(RateLimitScripts.Acquire, keys[0], values).ConfigureAwait(false); // loads the script for EVALSHA
        var next = 0;
        int Next() => (int)((uint)Interlocked.Increment(ref next) % Scopes);

        if (settings.Runs("ours"))
        {
            await ScenarioRunner.MeasureAsync(report, settings, "ours: limiter decision (Redis)", Role.Ours, async ct =>
                (await limits.AcquireAsync("load", scopes[Next()], Rule, cancellationToken: ct).ConfigureAwait(false)).IsAllowed).ConfigureAwait(false);
        }

        if (settings.Runs("b4"))
        {
            await ScenarioRunner.MeasureAsync(report, settings, "B4: raw EVALSHA", Role.Baseline, async _ =>
            {
                await database.ScriptEvaluateAsync(RateLimitScripts.AcquireHash, keys[Next()], values).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
        }

        if (settings.Runs("ours"))
        {
            // The local fallback is synchronous: time a tight loop on one thread.
            var local = new LocalRateLimits(TimeProvider.System);
            RateLimitBucket[] buckets = [new RateLimitBucket("", Rule)];
            var usage = new UsageProbe();
            usage.Start();
            var watch = Stopwatch.StartNew();
            long decisions = 0;
            while (watch.Elapsed < settings.Duration / 4)
            {
                for (var i = 0; i < 10_000; i++)
                {
                    _ = local.Acquire(scopes[Next()], buckets, 1, 0.5).IsAllowed;
                }

                decisions += 10_000;
            }

            usage.Stop();
            var seconds = watch.Elapsed.TotalSeconds;
            var meanMs = seconds * 1000 / decisions;
            report.Add(new ReportRow("ours: local fallback decision", Role.Ours, "1 thread, loop", LoadResult.Of(decisions, seconds, meanMs, double.NaN, double.NaN, usage.Result),
                "p50 column: mean time per decision"));
        }
    }

    private static IHost BuildHost(string redis, string prefix)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
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
}
