using Messaging.Testing.Harness;
using Npgsql;

namespace Messaging.System.Tests;

/// <summary>
/// Two workers processes together never call the payments provider faster than its quota allows, checked from
/// the provider's own request log; every command still succeeds, with one attempt per real call (a command held
/// back by the quota waits or is deferred, never failed and never counted as an attempt).
/// </summary>
public sealed class ProviderQuotaTests(ProviderQuotaSystem system) : IClassFixture<ProviderQuotaSystem>
{
    private const int WarmUpCommands = 6;
    private const int Commands = 100;
    private static readonly string[] Tenants = ["tenant-quota-a", "tenant-quota-b"];

    [Fact]
    public async Task TwoWorkers_TogetherNeverExceedThePaymentsQuota_AndEveryCommandSucceedsWithAttemptsOnlyForRealCalls()
    {
        var tokens = new Dictionary<string, string>();
        foreach (var tenant in Tenants)
        {
            tokens[tenant] = await system.TokenAsync(tenant);
        }

        // One at a time first, so each process has made its first (slowest) payments call before the crowd comes.
        var ids = new List<(string Tenant, string Id)>();
        for (var i = 0; i < WarmUpCommands; i++)
        {
            var tenant = Tenants[i % Tenants.Length];
            var id = await system.SubmitAsync(tokens[tenant], "payments.charge", Charge(i));
            Assert.Equal("Succeeded", (await system.WaitForStatusAsync(tokens[tenant], id, "Succeeded", TimeSpan.FromSeconds(60))).GetProperty("status").GetString());
            ids.Add((tenant, id));
        }

        // The bound is that of shared decisions: no process may be on its local fallback when the crowd comes.
        Assert.True(await SystemFixture.EventuallyAsync(AllDecideOnRedisAsync, TimeSpan.FromSeconds(60)), "a workers process stays on its local rate limits");
        var fallbacks = Processes().Select(p => Occurrences(p.ReadLog(), FallbackEvent)).ToArray();

        // Then many at once, from both tenants: ten times what the quota lets through in one period.
        for (var batch = 0; batch < Commands / 10; batch++)
        {
            var submitted = await Task.WhenAll(Enumerable.Range(batch * 10, 10).Select(async i =>
            {
                var tenant = Tenants[i % Tenants.Length];
                return (tenant, await system.SubmitAsync(tokens[tenant], "payments.charge", Charge(WarmUpCommands + i)));
            }));
            ids.AddRange(submitted);
        }

        var finished = await SystemFixture.EventuallyAsync(
            async () => (await CommandsAsync()).Values.All(c => c.Status == "Succeeded"), TimeSpan.FromSeconds(180));
        var commands = await CommandsAsync();
        Assert.True(finished, "not every command succeeded: " + string.Join(", ", commands.Values.GroupBy(c => c.Status).Select(g => $"{g.Key} {g.Count()}")));
        Assert.Equal(ids.Select(i => i.Id).Order(), commands.Keys.Order());

        Assert.Equal(fallbacks, Processes().Select(p => Occurrences(p.ReadLog(), FallbackEvent)).ToArray());

        // Every call the provider received (both payments instances; this system has no other traffic).
        var requests = await system.Providers.RequestsAsync("payments", "/v1/charges", DateTimeOffset.UnixEpoch);
        Assert.All(requests, r => Assert.Equal(201, r.Status));

        // Attempts count real calls only: one call and one attempt per command, whether or not it was held back.
        var callsPerCommand = requests.GroupBy(r => r.IdempotencyKey!).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(commands, c =>
        {
            Assert.Equal(1, c.Value.Attempts);
            Assert.Equal(1, callsPerCommand.GetValueOrDefault(c.Key));
        });
        Assert.Equal(commands.Count, requests.Count);

        // In no period of the quota did the provider receive more than the quota grants (its burst included). The
        // quota bounds the decisions; the provider logs arrivals, a little later and not all equally late. Calls
        // that arrive within (period - jitter) were decided within the period as long as their decision-to-arrival
        // delays differ by less than the jitter allowance, so that is the window checked.
        var bound = ProviderQuotaSettings.MaxGrantsWithin(ProviderQuotaSettings.Window);
        var checkedWindow = ProviderQuotaSettings.Window - ProviderQuotaSettings.ArrivalJitter;
        var times = requests.Select(r => r.ReceivedAt).Order().ToArray();
        var (busiest, from) = BusiestWindow(times, checkedWindow);
        TestContext.Current.TestOutputHelper?.WriteLine($"{times.Length} calls in {times[^1] - times[0]}; busiest {checkedWindow}: {busiest} (bound {bound}) from {from:O}");
        Assert.True(busiest <= bound,
            $"{busiest} payments calls within {checkedWindow} from {from:O}; the quota grants at most {bound} per {ProviderQuotaSettings.Window} " +
            $"({ProviderQuotaSettings.PermitLimit} per {ProviderQuotaSettings.Window}, burst {ProviderQuotaSettings.Burst})");

        // Over the whole run too: all the calls took at least as long as the quota needs to grant them.
        var span = times[^1] - times[0] + ProviderQuotaSettings.ArrivalJitter;
        Assert.True(times.Length <= ProviderQuotaSettings.MaxGrantsWithin(span),
            $"{times.Length} payments calls within {span}; the quota grants at most {ProviderQuotaSettings.MaxGrantsWithin(span)}");

        // The quota was reached (the submissions came much faster), so it is what held the calls back; and both
        // processes made calls, so they shared it.
        var (reached, _) = BusiestWindow(times, ProviderQuotaSettings.Window);
        Assert.True(reached >= ProviderQuotaSettings.PermitLimit, $"only {reached} calls in the busiest period: the quota was never reached");
        Assert.Contains("succeeded on attempt", system.Workers.ReadLog(), StringComparison.Ordinal);
        Assert.Contains("succeeded on attempt", system.SecondWorkers!.ReadLog(), StringComparison.Ordinal);
    }

    // The log lines of DistributedRateLimits' RateLimitingDegraded and RateLimitingRestored events.
    private const string FallbackEvent = "deciding locally with a share";
    private const string RestoredEvent = "rate limits are shared again";

    private ServiceProcess[] Processes() => [system.Workers, system.SecondWorkers!];

    // Each process has left its local fallback as often as it entered it. Readiness checks probe Redis while
    // degraded, so asking for them lets a process return without waiting for traffic.
    private async Task<bool> AllDecideOnRedisAsync()
    {
        foreach (var client in system.WorkersClients)
        {
            using var _ = await client.GetAsync(new Uri("health/ready", UriKind.Relative), TestContext.Current.CancellationToken);
        }

        return Processes().All(p => p.ReadLog() is var log && Occurrences(log, FallbackEvent) == Occurrences(log, RestoredEvent));
    }

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    // The most timestamps within any closed interval of the given length, and where it starts.
    private static (int Count, DateTimeOffset From) BusiestWindow(DateTimeOffset[] sorted, TimeSpan length)
    {
        var best = (Count: 0, From: DateTimeOffset.MinValue);
        var end = 0;
        for (var start = 0; start < sorted.Length; start++)
        {
            while (end < sorted.Length && sorted[end] - sorted[start] <= length)
            {
                end++;
            }

            if (end - start > best.Count)
            {
                best = (end - start, sorted[start]);
            }
        }

        return best;
    }

    private async Task<Dictionary<string, (string Status, int Attempts)>> CommandsAsync()
    {
        await using var connection = new NpgsqlConnection(system.PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("SELECT id, status, attempts FROM commands WHERE tenant = ANY (@tenants)", connection);
        command.Parameters.AddWithValue("tenants", Tenants);
        var rows = new Dictionary<string, (string, int)>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            rows[reader.GetGuid(0).ToString()] = (reader.GetString(1), reader.GetInt32(2));
        }

        return rows;
    }

    private static string Charge(int i) =>
        $$"""{"amount":{{i + 1}},"currency":"EUR","customerId":"cus_quota_{{i}}"}""";
}
