using System.Net.Http.Json;
using System.Text.Json;
using Messaging.System.Tests.Harness;

namespace Messaging.System.Tests;

/// <summary>
/// Breaker-aware consumption end to end: payments commands queued while both payments instances are down
/// cost nothing but time. The workers stop taking messages once the breakers open, probe once per break,
/// and resume when the provider is back; nothing is dead-lettered and every command takes effect once.
/// Default run: 200 commands, 20 s outage; <c>SYSTEM_TESTS_FULL=1</c>: 1,000 commands, 60 s.
/// </summary>
public sealed class BreakerAwareOutageTests(OutageSystem system) : IClassFixture<OutageSystem>
{
    private const string Tenant = "tenant-outage";

    [Fact]
    public async Task CommandsQueuedDuringAPaymentsOutage_AllSucceedOnceAfterIt_WithoutDeadLetters_AndFewProviderCalls()
    {
        var token = await system.TokenAsync(Tenant);
        var admin = await system.TokenAsync("tenant-outage-ops", "admin");
        var outageStarted = DateTimeOffset.UtcNow;
        await system.Providers.SetFaultsAsync("payments-primary", new { outage = true });
        await system.Providers.SetFaultsAsync("payments-secondary", new { outage = true });
        List<string> ids;
        DateTimeOffset outageEnded;
        try
        {
            ids = await SubmitAllAsync(token, OutageSettings.Commands);

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

        var done = await SystemFixture.EventuallyAsync(
            async () => (await system.StatusCountsAsync(Tenant)).GetValueOrDefault("Succeeded") == ids.Count, TimeSpan.FromSeconds(120));
        var statuses = await system.StatusCountsAsync(Tenant);
        Assert.True(done, "not every command succeeded: " + string.Join(", ", statuses.Select(s => $"{s.Key}={s.Value}")));

        Assert.Equal(0, await system.CountAsync("SELECT count(*) FROM dead_letters WHERE tenant = @t", ("t", Tenant)));
        var effects = await system.Providers.EffectsAsync("payments");
        Assert.All(ids, id => Assert.Equal(1, effects.TryGetValue(id, out var e) ? e.Effects : 0));
        Assert.Equal(0, (await system.Providers.LedgerAsync("payments")).GetProperty("duplicateEffects").GetInt32());

        // Calls during the outage: until each endpoint's breaker opens (its minimum throughput, plus what was
        // already in flight), then one probe per endpoint per break.
        var calls = (await system.Providers.RequestsAsync("payments", "/v1/charges", outageStarted)).Count(r => r.ReceivedAt < outageEnded);
        var breaks = (int)Math.Ceiling(OutageSettings.Outage / OutageSettings.BreakDuration) + 1;
        var bound = (OutageSettings.PaymentsEndpoints * (OutageSettings.MinimumThroughput + OutageSettings.ConcurrencyLimit))
            + (OutageSettings.PaymentsEndpoints * breaks);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{ids.Count} commands, outage {OutageSettings.Outage.TotalSeconds} s: {calls} provider calls during the outage (bound {bound}).");
        Assert.InRange(calls, OutageSettings.MinimumThroughput, bound);
        Assert.True(await SystemFixture.EventuallyAsync(async () => await EndpointStateAsync(admin) == "running", TimeSpan.FromSeconds(15)),
            "the payments endpoint did not show as running again");
    }

    private async Task<List<string>> SubmitAllAsync(string token, int count)
    {
        var ids = new global::System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            ids.Add(await system.SubmitAsync(token, "payments.charge", $$"""{"amount":{{i + 1}},"currency":"EUR","customerId":"cus_outage_{{i}}"}""")));
        return [.. ids];
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
