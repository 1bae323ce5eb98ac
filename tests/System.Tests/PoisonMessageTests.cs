using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.System.Tests.Harness;

namespace Messaging.System.Tests;

/// <summary>
/// A poison message among good ones: an unreadable body published straight to the payments queue (as a
/// broken producer would) is dead-lettered with its reason, and every good command still succeeds.
/// </summary>
public sealed class PoisonMessageTests(SystemFixture system)
{
    private const string Tenant = "tenant-poison-mix";

    private static int GoodCommands => OutageSettings.Full ? 500 : 100;

    [Fact]
    public async Task APoisonMessageAmongGoodOnes_IsDeadLetteredWithItsReason_AndTheGoodOnesAllSucceed()
    {
        var token = await system.TokenAsync(Tenant);
        var admin = await system.TokenAsync("tenant-poison-ops", "admin");
        var marker = "poison-" + Guid.NewGuid().ToString("N");
        var half = GoodCommands / 2;

        var first = await SubmitAsync(token, 0, half);
        await system.Broker.PublishRawAsync("payments.charge", Encoding.UTF8.GetBytes($"{{not json at all: {marker}"),
            new Dictionary<string, object?> { ["Messaging-Tenant"] = Tenant });
        var second = await SubmitAsync(token, half, GoodCommands - half);

        var succeeded = await SystemFixture.EventuallyAsync(
            async () => (await system.StatusCountsAsync(Tenant)).GetValueOrDefault("Succeeded") == GoodCommands, TimeSpan.FromSeconds(90));
        Assert.True(succeeded, "not every good command succeeded: "
            + string.Join(", ", (await system.StatusCountsAsync(Tenant)).Select(s => $"{s.Key}={s.Value}")));
        Assert.Equal(GoodCommands, first.Concat(second).Distinct().Count());

        Assert.True(await SystemFixture.EventuallyAsync(
            async () => await system.CountAsync("SELECT count(*) FROM dead_letters WHERE body LIKE @m", ("m", $"%{marker}%")) == 1, TimeSpan.FromSeconds(30)),
            "the poison message was not dead-lettered");

        // Operators see it in the dead-letter list with its reason; it is the only dead letter of the tenant's queue traffic.
        using var response = await system.Http.SendAsync(system.Request(HttpMethod.Get, "api/monitoring/dead-letters?limit=1000", admin),
            TestContext.Current.CancellationToken);
        var letters = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        var poison = letters.EnumerateArray().Where(l => l.GetProperty("source").GetString() == "poison" && l.GetProperty("commandId").ValueKind == JsonValueKind.Null).ToList();
        Assert.Contains(poison, l => l.GetProperty("reason").GetString()!.Contains("could not be read", StringComparison.Ordinal));
        Assert.Equal(0, await system.CountAsync("SELECT count(*) FROM dead_letters WHERE tenant = @t AND command_id IS NOT NULL", ("t", Tenant)));
    }

    private async Task<List<string>> SubmitAsync(string token, int from, int count)
    {
        var ids = new global::System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(from, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            ids.Add(await system.SubmitAsync(token, "payments.charge", $$"""{"amount":{{i + 1}},"currency":"EUR","customerId":"cus_mix_{{i}}"}""")));
        return [.. ids];
    }
}
