using Messaging.Store.FaultInjection;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests.Reliability;

/// <summary>
/// The reliability proof: real processes, real faults of the real services, and an independent checker
/// (<see cref="ConsistencyChecker"/>) that counts what was lost and what took effect twice. Every scenario
/// must end with lost = 0 and duplicated effects = 0; the summaries go to the test output and to
/// <c>artifacts/reliability/</c> (see docs/reliability.md). Scenarios 5 and 6 (provider outage, poison
/// messages) run beside the other system tests: <see cref="BreakerAwareOutageTests"/>, <see cref="PoisonMessageTests"/>.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class ReliabilityScenarioTests(ReliabilitySystem system) : IAsyncLifetime
{
    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    // Whatever a scenario did, the next one (and the rest of the suite) finds every service up.
    public async ValueTask DisposeAsync()
    {
        _firstGateway?.Dispose();
        await ServiceFaults.RestoreAllAsync();
        foreach (var process in new[] { system.Gateway, system.Workers })
        {
            if (!process.IsRunning)
            {
                process.SetEnvironment("FaultInjection__CrashAt", null);
                await (process == system.Gateway ? system.RestartGatewayAsync() : system.RestartWorkersAsync());
            }
        }
    }

    [Fact]
    public async Task Scenario1_BrokerRestartsAndWorkerKills_UnderSteadyLoad_LoseNothing_AndDuplicateNothing()
    {
        var (workload, checker) = await BeginAsync("scenario-1-broker-restarts-worker-kills");
        var run = Workload.Runtime(ReliabilitySettings.SteadyCommands, ReliabilitySettings.SteadyRate);
        DateTimeOffset lastFault;
        await using (var supervisor = Supervise(maxCrashes: int.MaxValue))
        {
            var submitting = workload.RunAsync(ReliabilitySettings.SteadyCommands, ReliabilitySettings.SteadyRate, TestContext.Current.CancellationToken);
            await Task.Delay(run * 0.1, TestContext.Current.CancellationToken);
            system.Workers.Kill();
            await Task.Delay(run * 0.15, TestContext.Current.CancellationToken);
            await using (await ServiceFaults.StopRabbitMqAsync())
            {
                await Task.Delay(TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken);
            }

            await Task.Delay(run * 0.15, TestContext.Current.CancellationToken);
            system.Workers.Kill();
            await Task.Delay(run * 0.15, TestContext.Current.CancellationToken);
            await using (await ServiceFaults.KillRabbitMqAsync())
            {
                await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
            }

            await Task.Delay(run * 0.1, TestContext.Current.CancellationToken);
            system.Workers.Kill();
            await EventuallyRunningAsync(system.Workers);
            lastFault = DateTimeOffset.UtcNow;
            await submitting;
            Assert.True(supervisor.Restarts >= 3, $"{supervisor.Restarts} restarts");
        }

        var summary = await checker.CheckAsync("scenario-1-broker-restarts-worker-kills", workload, lastFault, ReliabilitySettings.DrainLimit);
        summary.AssertKept();
    }

    [Theory]
    [InlineData(CrashPoints.RelayAfterConfirm)]
    [InlineData(CrashPoints.WorkerAfterProviderCall)]
    [InlineData(CrashPoints.WorkerAfterStatusCommit)]
    public async Task Scenario2_CrashesInTheOutboxWindows_LoseNothing_AndDuplicateNothing(string crashPoint)
    {
        var scenario = "scenario-2-" + crashPoint;
        var (workload, checker) = await BeginAsync(scenario);
        var target = crashPoint == CrashPoints.RelayAfterConfirm ? system.Gateway : system.Workers;
        var restart = crashPoint == CrashPoints.RelayAfterConfirm ? (Func<Task>)system.RestartGatewayAsync : system.RestartWorkersAsync;

        // Started again with the crash point on: it now dies, now and then, right inside the window.
        target.Kill();
        target.SetEnvironment("FaultInjection__CrashAt", crashPoint);
        target.SetEnvironment("FaultInjection__Probability", ReliabilitySettings.Invariant(0.1));
        await restart();
        int crashes;
        await using (var supervisor = Supervise(maxCrashes: ReliabilitySettings.CrashesPerWindow))
        {
            await workload.RunAsync(ReliabilitySettings.CrashWindowCommands, 20, TestContext.Current.CancellationToken);
            // Keep the crash point armed until the window was hit enough times (the drain keeps passing through it).
            await SystemFixture.EventuallyAsync(() => Task.FromResult(supervisor.Restarts >= ReliabilitySettings.CrashesPerWindow), TimeSpan.FromSeconds(30));
            crashes = supervisor.Restarts;
        }

        // Disarmed: one last restart without the crash point (the supervisor no longer watches).
        target.SetEnvironment("FaultInjection__CrashAt", null);
        target.Kill();
        await restart();
        var lastFault = DateTimeOffset.UtcNow;

        Assert.True(crashes > 0, $"the {crashPoint} window was never hit");
        var summary = await checker.CheckAsync(scenario, workload, lastFault, ReliabilitySettings.DrainLimit);
        TestContext.Current.TestOutputHelper?.WriteLine($"  crashes at {crashPoint}: {crashes}");
        summary.AssertKept();
        Assert.Contains($"fault injection: crashing at {crashPoint}", target.ReadLog(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scenario3_PostgresStoppedUnderLoad_LosesNothing_AndAnswersNothingButDocumented503s()
    {
        var (workload, checker) = await BeginAsync("scenario-3-postgres-stopped");
        var submitting = workload.RunAsync(300, 10, TestContext.Current.CancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        await using (await ServiceFaults.StopPostgresAsync())
        {
            await Task.Delay(ReliabilitySettings.PostgresOutage, TestContext.Current.CancellationToken);
        }

        var lastFault = DateTimeOffset.UtcNow;
        await submitting;
        var summary = await checker.CheckAsync("scenario-3-postgres-stopped", workload, lastFault, ReliabilitySettings.DrainLimit);
        summary.AssertKept();
        Assert.All(workload.Answers.Keys, status => Assert.True(status is 202 or 503 or 0, $"answered {status} while PostgreSQL was down"));
        // The fallback took commands while PostgreSQL was down (not only the retries after it returned).
        Assert.Contains(workload.Submissions, s => s.AcceptedVia == "direct");
    }

    [Fact]
    public async Task Scenario4_RedisStoppedUnderLoad_DegradesRateLimitsLocally_AndNothingElseChanges()
    {
        var (workload, checker) = await BeginAsync("scenario-4-redis-stopped");
        var admin = await system.TokenAsync("operators", "operator");
        var submitting = workload.RunAsync(300, 20, TestContext.Current.CancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
        bool degradedSeen;
        await using (await ServiceFaults.StopRedisAsync())
        {
            degradedSeen = await SystemFixture.EventuallyAsync(async () => await RateLimitingOverview.DegradedAsync(system, admin) == true, TimeSpan.FromSeconds(10));
            await Task.Delay(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        }

        var lastFault = DateTimeOffset.UtcNow;
        await submitting;
        Assert.True(degradedSeen, "the overview never showed rate limiting as degraded while Redis was down");
        Assert.True(await SystemFixture.EventuallyAsync(async () => await RateLimitingOverview.DegradedAsync(system, admin) == false, TimeSpan.FromSeconds(30)),
            "rate limiting did not come back from degraded after Redis returned");
        var summary = await checker.CheckAsync("scenario-4-redis-stopped", workload, lastFault, ReliabilitySettings.DrainLimit);
        summary.AssertKept();
        Assert.Equal(new[] { 202 }, workload.Answers.Keys.Order().ToArray());
    }

    [Fact]
    public async Task Scenario7_TwoGatewaysAndTwoWorkers_UnderFaults_LoseNothing_AndDuplicateNothing()
    {
        var (workload, checker) = await BeginAsync("scenario-7-two-gateways-two-workers", useSecondGateway: true);
        DateTimeOffset lastFault;
        CheckerSummary summary;
        try
        {
            var submitting = workload.RunAsync(400, 20, TestContext.Current.CancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken);
            await ServiceFaults.CloseBrokerConnectionsAsync();
            await Task.Delay(TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken);
            _extraWorkers!.Kill();
            await Task.Delay(TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken);
            _extraWorkers.Start();
            _extraGateway!.Value.Process.Kill();
            await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
            _extraGateway.Value.Process.Start();
            await ServiceFaults.CloseBrokerConnectionsAsync();
            lastFault = DateTimeOffset.UtcNow;
            await submitting;
            summary = await checker.CheckAsync("scenario-7-two-gateways-two-workers", workload, lastFault, ReliabilitySettings.DrainLimit);

            // After the check, so its commands are not counted as unexpected effects of the scenario's.
            // The tenant limit is one limit for both gateways: a burst through both gets exactly the tier's permits.
            var limitedToken = await system.TokenAsync(ReliabilitySettings.LimitedTenant);
            var answers = await Task.WhenAll(Enumerable.Range(0, ReliabilitySettings.LimitedTierPermits + 50).Select(async i =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "api/commands/payments.charge")
                {
                    Content = new StringContent($$"""{"amount":{{i + 1}},"currency":"EUR","customerId":"cus_limited"}""", global::System.Text.Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new global::System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", limitedToken);
                using var response = await (i % 2 == 0 ? _firstGateway! : _extraGateway!.Value.Client).SendAsync(request, TestContext.Current.CancellationToken);
                return (int)response.StatusCode;
            }));
            Assert.Equal(ReliabilitySettings.LimitedTierPermits, answers.Count(a => a == 202));
            Assert.Equal(50, answers.Count(a => a == 429));
        }
        finally
        {
            await _extraGateway!.Value.Process.DisposeAsync();
            _extraGateway.Value.Client.Dispose();
            await _extraWorkers!.DisposeAsync();
            _extraWorkersHost!.Value.Client.Dispose();
        }

        summary.AssertKept();
        // Both relays published (each row at most once beyond what the workers' inbox absorbed: no duplicate effect).
        Assert.Equal(0, await system.CountAsync("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND kind = 'command'"));
    }

    private (ServiceProcess Process, HttpClient Client)? _extraGateway;
    private (ServiceProcess Process, HttpClient Client)? _extraWorkersHost;
    private ServiceProcess? _extraWorkers;
    private HttpClient? _firstGateway;

    private async Task<(Workload Workload, ConsistencyChecker Checker)> BeginAsync(string scenario, bool useSecondGateway = false)
    {
        var tenant = "tenant-" + scenario;
        var token = await system.TokenAsync(tenant);
        var first = _firstGateway = Workload.ClientFor(system);
        Func<HttpClient> gateways = () => first;
        if (useSecondGateway)
        {
            _extraGateway = await system.StartExtraGatewayAsync("gateway-2", _ => { });
            _extraWorkersHost = await system.StartExtraWorkersAsync("workers-2");
            _extraWorkers = _extraWorkersHost.Value.Process;
            var second = _extraGateway.Value.Client;
            var next = 0;
            gateways = () => Interlocked.Increment(ref next) % 2 == 0 ? first : second;
        }

        var checker = new ConsistencyChecker(system, token);
        await checker.BeginAsync();
        return (new Workload(gateways, token, tenant), checker);
    }

    private ProcessSupervisor Supervise(int maxCrashes) => new(new Dictionary<ServiceProcess, Func<Task>>
    {
        [system.Gateway] = system.RestartGatewayAsync,
        [system.Workers] = system.RestartWorkersAsync,
    }, maxCrashes);

    private static async Task EventuallyRunningAsync(ServiceProcess process) =>
        Assert.True(await SystemFixture.EventuallyAsync(() => Task.FromResult(process.IsRunning), TimeSpan.FromSeconds(60)), $"{process.Name} was not restarted");
}
