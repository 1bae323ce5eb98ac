using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Testing.Harness;
using Messaging.System.Tests.Reliability;

namespace Messaging.System.Tests;

/// <summary>
/// Breaker-aware consumption end to end: payments commands queued while both payments instances are down
/// cost nothing but time. The workers stop taking messages once the breakers open, probe once per break,
/// and resume when the provider is back; nothing is dead-lettered and every command takes effect once.
/// Default run: 200 commands, 20 s outage; <c>SYSTEM_TESTS_FULL=1</c>: 1,000 commands, 60 s. Reliability
/// scenario 5: the <see cref="ConsistencyChecker"/> judges it.
/// </summary>
public sealed class BreakerAwareOutageTests(OutageSystem system) : IClassFixture<OutageSystem>, IDisposable
{
    private const string Tenant = "tenant-outage";
    private readonly HttpClient _client = Workload.ClientFor(system);

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task CommandsQueuedDuringAPaymentsOutage_AllSucceedOnceAfterIt_WithoutDeadLetters_AndFewProviderCalls()
    {
        var token = await system.TokenAsync(Tenant);
        var admin = await system.TokenAsync("tenant-outage-ops", "admin");
        var workload = new Workload(() => _client, token, Tenant);
        var checker = new ConsistencyChecker(system, token);
        await checker.BeginAsync();
        var outageStarted = DateTimeOffset.UtcNow;
        await system.Providers.SetFaultsAsync("payments-primary", new { outage = true });
        await system.Providers.SetFaultsAsync("payments-secondary", new { outage = true });
        DateTimeOffset outageEnded;
        try
        {
            await workload.RunAsync(OutageSettings.Commands, perSecond: 100, TestContext.Current.CancellationToken);

            // The endpoint pauses, and the overview says so next to the breakers.
            Assert.True(await SystemFixture.EventuallyAsync(async () => await EndpointStateAsync(admin) == "paused", TimeSpan.FromSeconds(30)),
                "the payments endpoint did not show as paused");
            var remaining = OutageSettings.Outage - (DateTimeOffset.UtcNow - outageStarted);
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining, TestContext.Current.CancellationToken);
            }
        }
        finally
        {
            outageEnded = DateTimeOffset.UtcNow;
            await system.Providers.ClearFaultsAsync();
        }

        var summary = await checker.CheckAsync("scenario-5-provider-outage", workload, outageEnded, ReliabilitySettings.DrainLimit);
        summary.AssertKept();
        Assert.Equal(OutageSettings.Commands, summary.Terminal.GetValueOrDefault("Succeeded"));
        Assert.Equal(0, await system.CountAsync("SELECT count(*) FROM dead_letters WHERE tenant = @t", ("t", Tenant)));
        Assert.Equal(0, (await system.Providers.LedgerAsync("payments")).GetProperty("duplicateEffects").GetInt32());

        // Calls during the outage: until each endpoint's breaker opens (its minimum throughput, plus what was
        // already in flight), then one probe per endpoint per break.
        var calls = (await system.Providers.RequestsAsync("payments", "/v1/charges", outageStarted)).Count(r => r.ReceivedAt < outageEnded);
        var breaks = (int)Math.Ceiling(OutageSettings.Outage / OutageSettings.BreakDuration) + 1;
        var bound = (OutageSettings.PaymentsEndpoints * (OutageSettings.MinimumThroughput + OutageSettings.ConcurrencyLimit))
            + (OutageSettings.PaymentsEndpoints * breaks);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{summary.Acknowledged} commands, outage {OutageSettings.Outage.TotalSeconds} s: {calls} provider calls during the outage (bound {bound}).");
        Assert.InRange(calls, OutageSettings.MinimumThroughput, bound);
        Assert.True(await SystemFixture.EventuallyAsync(async () => await EndpointStateAsync(admin) == "running", TimeSpan.FromSeconds(15)),
            "the payments endpoint did not show as running again");
    }

    private async Task<string?> EndpointStateAsync(string adminToken)
    {
        using var response = await system.Http.SendAsync(system.Request(HttpMethod.Get, "api/monitoring/overview", adminToken));
        var overview = await response.Content.ReadFromJsonAsync<JsonElement>();
        return overview.GetProperty("endpoints").EnumerateArray()
            .Where(e => e.GetProperty("name").GetString() == "payments.charge")
            .Select(e => e.GetProperty("state").GetString())
            .FirstOrDefault();
    }
}
