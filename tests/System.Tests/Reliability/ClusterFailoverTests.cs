using System.Diagnostics;
using Messaging.Testing.Harness;
using Npgsql;

namespace Messaging.System.Tests.Reliability;

/// <summary>
/// Issue 25's failovers: a node of each clustered service fails under a steady load through two gateways and two
/// workers, all pointed at every node (<see cref="ClusterSystem"/>), and the <see cref="ConsistencyChecker"/> finds
/// nothing lost and nothing done twice. Opt-in (<c>SYSTEM_TESTS_CLUSTER=1</c> after <c>scripts/cluster up</c>); the
/// summaries go to <c>artifacts/reliability/</c> and their full runs to docs/reliability.md.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterFailoverTests(ClusterSystem system) : IAsyncLifetime
{
    private const int Commands = 300;
    private const double Rate = 10;

    private (ServiceProcess Process, HttpClient Client)? _extraGateway;
    private (ServiceProcess Process, HttpClient Client)? _extraWorkers;
    private HttpClient? _firstGateway;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    // Whatever a scenario did, the next one finds the cluster whole: killed nodes started again, the PostgreSQL pair back.
    public async ValueTask DisposeAsync()
    {
        _firstGateway?.Dispose();
        if (_extraGateway is { } gateway)
        {
            await gateway.Process.DisposeAsync();
            gateway.Client.Dispose();
        }

        if (_extraWorkers is { } workers)
        {
            await workers.Process.DisposeAsync();
            workers.Client.Dispose();
        }

        if (ClusterSystem.Enabled)
        {
            if (!await ClusterFaults.PostgresOnlineAsync("mcluster-primary"))
            {
                await ClusterFaults.ResetPostgresAsync();
            }

            await ClusterFaults.UpAsync();
        }
    }

    [Fact]
    public async Task RabbitMqNodeLeadingTheCommandQueues_KilledAndBroughtBack_LosesNothing_AndDuplicatesNothing()
    {
        Assert.SkipUnless(ClusterSystem.Enabled, ClusterSystem.SkipReason);
        const string scenario = "cluster-1-rabbitmq-leader-killed";
        var (workload, checker) = await BeginAsync(scenario);
        var submitting = workload.RunAsync(Commands, Rate, TestContext.Current.CancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(8), TestContext.Current.CancellationToken);

        // The node leading most of this system's quorum queues (the command queues among them).
        var queues = await ClusterFaults.QuorumQueuesAsync(system.RabbitMqVirtualHost);
        Assert.NotEmpty(queues);
        // Replicated on every node (RabbitMq:QuorumInitialGroupSize=3), so any one of them may die.
        Assert.Equal(3, queues["payments.charge"].Members);
        var leaders = queues.ToDictionary(q => q.Key, q => q.Value.Leader, StringComparer.Ordinal);
        var leader = leaders.Values.GroupBy(l => l, StringComparer.Ordinal).OrderByDescending(g => g.Count()).First().Key;
        var node = Enumerable.Range(1, 3).Single(n => ClusterFaults.RabbitNode(n) == leader);
        Log($"  killing {leader} (SIGKILL), leader of {leaders.Count(l => l.Value == leader)} of {leaders.Count} quorum queues: "
            + string.Join(", ", queues.OrderBy(q => q.Key, StringComparer.Ordinal).Select(q => $"{q.Key} ({q.Value.Members} members)")));

        var clock = Stopwatch.StartNew();
        await ClusterFaults.KillRabbitNodeAsync(node);
        var moved = await SystemFixture.EventuallyAsync(
            async () => (await ClusterFaults.QuorumLeadersAsync(system.RabbitMqVirtualHost, except: node)).Values.All(l => l.Length > 0 && l != leader),
            TimeSpan.FromSeconds(30));
        var newLeaders = clock.Elapsed;
        Assert.True(moved, $"the quorum queues did not elect new leaders within 30 s of {leader}'s death");
        await Task.Delay(TimeSpan.FromSeconds(10) - clock.Elapsed, TestContext.Current.CancellationToken);
        await ClusterFaults.UpAsync();
        var back = clock.Elapsed;
        var lastFault = DateTimeOffset.UtcNow;
        await submitting;

        var summary = await checker.CheckAsync(scenario, workload, lastFault, ReliabilitySettings.DrainLimit);
        Log($"  new leaders elected after {newLeaders.TotalSeconds:F1} s; node back in the cluster after {back.TotalSeconds:F1} s");
        summary.AssertKept();
    }

    [Fact]
    public async Task PostgresPrimaryStoppedAndStandbyPromoted_HostsReconnectWithoutRestart_LosesNothing_AndDuplicatesNothing()
    {
        Assert.SkipUnless(ClusterSystem.Enabled, ClusterSystem.SkipReason);
        const string scenario = "cluster-2-postgres-failover";
        var (workload, checker) = await BeginAsync(scenario);
        var submitting = workload.RunAsync(Commands, Rate, TestContext.Current.CancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(8), TestContext.Current.CancellationToken);

        var clock = Stopwatch.StartNew();
        var refusals = WatchRefusals(workload, clock);
        await ClusterFaults.FailOverPostgresAsync();
        var promoted = clock.Elapsed;
        NpgsqlConnection.ClearAllPools();
        Assert.True(await SystemFixture.EventuallyAsync(() => ClusterFaults.PrimaryWritableAsync(system.PostgresConnectionString), TimeSpan.FromSeconds(60)),
            "the multi-host connection string did not reach the promoted standby");
        var writable = clock.Elapsed;

        // Fenced: `scripts/cluster up` (which the other scenarios' restores run) does not start the old primary again.
        await ClusterFaults.UpAsync();
        Assert.False(await ClusterFaults.PostgresOnlineAsync("mcluster-primary"), "the old primary came back beside the promoted standby");
        var lastFault = DateTimeOffset.UtcNow;
        await submitting;
        await refusals.DisposeAsync();

        var summary = await checker.CheckAsync(scenario, workload, lastFault, ReliabilitySettings.DrainLimit);
        Log($"  standby promoted {promoted.TotalSeconds:F1} s after the primary's stop; writable through the multi-host string after {writable.TotalSeconds:F1} s; "
            + $"last refusal (5xx) by a gateway {refusals.Last.TotalSeconds:F1} s after the stop");
        // Refused while no primary answered, with the documented 503 (never a 500), and retried by the client.
        Assert.All(workload.Answers.Keys, status => Assert.True(status is 202 or 503 or 0, $"answered {status} during the failover"));
        Assert.True(system.Gateway.IsRunning && system.Workers.IsRunning && _extraGateway!.Value.Process.IsRunning && _extraWorkers!.Value.Process.IsRunning,
            "a host exited: the hosts must reconnect to the new primary without a restart");
        summary.AssertKept();
        Assert.False(await ClusterFaults.PostgresOnlineAsync("mcluster-primary"), "the old primary came back");
    }

    [Fact]
    public async Task RedisMasterKilledAndReplicaPromotedBySentinel_RateLimitsFallBackLocally_AndNothingElseChanges()
    {
        Assert.SkipUnless(ClusterSystem.Enabled, ClusterSystem.SkipReason);
        const string scenario = "cluster-3-redis-master-killed";
        var (workload, checker) = await BeginAsync(scenario);
        var admin = await system.TokenAsync("operators", "operator");
        var submitting = workload.RunAsync(Commands, Rate, TestContext.Current.CancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(8), TestContext.Current.CancellationToken);

        var master = await ClusterFaults.RedisMasterPortAsync();
        Assert.NotNull(master);
        var clock = Stopwatch.StartNew();
        await ClusterFaults.KillRedisAsync(master.Value);
        var degradedSeen = await SystemFixture.EventuallyAsync(async () => await RateLimitingOverview.DegradedAsync(system, admin) == true, TimeSpan.FromSeconds(15));
        var degradedAt = clock.Elapsed;
        Assert.True(await SystemFixture.EventuallyAsync(async () => await ClusterFaults.RedisMasterPortAsync() is { } port && port != master, TimeSpan.FromSeconds(30)),
            "Sentinel did not promote a replica within 30 s");
        var switched = clock.Elapsed;
        var recovered = await SystemFixture.EventuallyAsync(async () => await RateLimitingOverview.DegradedAsync(system, admin) == false, TimeSpan.FromSeconds(60));
        var recoveredAt = clock.Elapsed;

        // The old master comes back as a replica of the new one.
        await ClusterFaults.UpAsync();
        var lastFault = DateTimeOffset.UtcNow;
        await submitting;

        var summary = await checker.CheckAsync(scenario, workload, lastFault, ReliabilitySettings.DrainLimit);
        Log($"  master :{master} killed; degraded seen after {degradedAt.TotalSeconds:F1} s; Sentinel named :{await ClusterFaults.RedisMasterPortAsync()} after {switched.TotalSeconds:F1} s; "
            + $"rate limiting back on Redis after {recoveredAt.TotalSeconds:F1} s");
        Assert.True(degradedSeen, "the overview never showed rate limiting as degraded while the master was gone");
        Assert.True(recovered, "rate limiting did not come back from degraded after Sentinel promoted a replica");
        summary.AssertKept();
        Assert.Equal(new[] { 202 }, workload.Answers.Keys.Order().ToArray());
    }

    // When the gateways last refused a command (a 5xx), relative to the clock: how long the failover was felt.
    private static RefusalWatch WatchRefusals(Workload workload, Stopwatch clock) => new(workload, clock);

    private sealed class RefusalWatch : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public RefusalWatch(Workload workload, Stopwatch clock) => _loop = Task.Run(async () =>
        {
            var seen = 0;
            while (!_stop.IsCancellationRequested)
            {
                var refused = workload.Answers.Where(a => a.Key >= 500).Sum(a => a.Value);
                if (refused != seen)
                {
                    seen = refused;
                    Last = clock.Elapsed;
                }

                await Task.Delay(100, CancellationToken.None);
            }
        });

        public TimeSpan Last { get; private set; }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }
    }

    private static void Log(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        var directory = Path.Combine(RepositoryPaths.Root, "artifacts", "reliability");
        Directory.CreateDirectory(directory);
        File.AppendAllText(Path.Combine(directory, "cluster-timings.txt"), $"{DateTimeOffset.UtcNow:O} {line.Trim()}\n");
    }

    // Two gateways (the workload alternates between them) and two workers, all on every node of the cluster.
    private async Task<(Workload Workload, ConsistencyChecker Checker)> BeginAsync(string scenario)
    {
        var tenant = "tenant-" + scenario;
        var token = await system.TokenAsync(tenant);
        var first = _firstGateway = Workload.ClientFor(system);
        _extraGateway = await system.StartExtraGatewayAsync("gateway-2", _ => { });
        _extraWorkers = await system.StartExtraWorkersAsync("workers-2");
        var second = _extraGateway.Value.Client;
        var next = 0;
        var checker = new ConsistencyChecker(system, token);
        await checker.BeginAsync();
        return (new Workload(() => Interlocked.Increment(ref next) % 2 == 0 ? first : second, token, tenant), checker);
    }
}
