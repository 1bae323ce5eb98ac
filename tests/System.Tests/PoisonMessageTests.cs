using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Testing.Harness;
using Messaging.System.Tests.Reliability;

namespace Messaging.System.Tests;

/// <summary>
/// A poison message among good ones: an unreadable body published straight to the payments queue (as a
/// broken producer would) is dead-lettered with its reason, and every good command still succeeds.
/// Reliability scenario 6: the <see cref="ConsistencyChecker"/> judges the good ones.
/// </summary>
public sealed class PoisonMessageTests(SystemFixture system) : IDisposable
{
    private const string Tenant = "tenant-poison-mix";
    private readonly HttpClient _client = Workload.ClientFor(system);

    public void Dispose() => _client.Dispose();

    private static int GoodCommands => OutageSettings.Full ? 500 : 100;

    [Fact]
    public async Task APoisonMessageAmongGoodOnes_IsDeadLetteredWithItsReason_AndTheGoodOnesAllSucceed()
    {
        var token = await system.TokenAsync(Tenant);
        var admin = await system.TokenAsync("operators", "operator");
        var marker = "poison-" + Guid.NewGuid().ToString("N");
        var half = GoodCommands / 2;

        var workload = new Workload(() => _client, token, Tenant);
        var checker = new ConsistencyChecker(system, token);
        await checker.BeginAsync();

        // The poison message lands in the middle of a steady run of good commands.
        var submitting = workload.RunAsync(GoodCommands, perSecond: 50, TestContext.Current.CancellationToken);
        await Task.Delay(Workload.Runtime(half, 50), TestContext.Current.CancellationToken);
        await system.Broker.PublishRawAsync("payments.charge", Encoding.UTF8.GetBytes($"{{not json at all: {marker}"),
            new Dictionary<string, object?> { ["Messaging-Tenant"] = Tenant });
        var poisoned = DateTimeOffset.UtcNow;
        await submitting;

        var summary = await checker.CheckAsync("scenario-6-poison-messages", workload, poisoned, ReliabilitySettings.DrainLimit);
        summary.AssertKept();
        Assert.Equal(GoodCommands, summary.Terminal.GetValueOrDefault("Succeeded"));

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
}
