using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests;

/// <summary>
/// Not-Before, cancel and batches end to end: real Gateway, Workers and FakeServices processes on the real services.
/// </summary>
public sealed class CommandLifecycleTests(SystemFixture system)
{
    private const string Charge = """{"amount":7.25,"currency":"EUR","customerId":"cus_lifecycle"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonElement> SubmitAsync(string token, string type, string body, DateTimeOffset? notBefore = null)
    {
        using var request = system.Request(HttpMethod.Post, $"api/commands/{type}", token, new StringContent(body, Encoding.UTF8, "application/json"));
        if (notBefore is { } due)
        {
            request.Headers.Add("Not-Before", due.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }

        using var response = await system.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    [Fact]
    public async Task ACommandWithANotBefore_IsScheduled_AndReachesTheProviderNoEarlierThanItsTime()
    {
        var token = await system.TokenAsync("tenant-not-before");
        var notBefore = DateTimeOffset.UtcNow.AddSeconds(3);

        var accepted = await SubmitAsync(token, "payments.charge", Charge, notBefore);
        var id = accepted.GetProperty("id").GetString()!;

        Assert.Equal("Scheduled", accepted.GetProperty("status").GetString());
        Assert.Equal("Scheduled", await system.CommandStatusAsync(token, id));
        var status = await system.WaitForStatusAsync(token, id, "Succeeded");
        Assert.Equal("Succeeded", status.GetProperty("status").GetString());
        var call = Assert.Single(await system.Providers.RequestsAsync("payments", "/v1/charges", notBefore.AddMinutes(-1)), r => r.IdempotencyKey == id);
        // Truncated to the millisecond as sent; the fake services run on this machine's clock.
        Assert.True(call.ReceivedAt >= notBefore.AddMilliseconds(-1), $"the provider was called at {call.ReceivedAt:O}, before {notBefore:O}");
        Assert.Equal(1, await system.Providers.EffectsForKeyAsync("payments", id));
    }

    [Fact]
    public async Task ACancelledScheduledCommand_NeverReachesTheProvider_EvenWhenItComesDue()
    {
        var token = await system.TokenAsync("tenant-cancel");
        var notBefore = DateTimeOffset.UtcNow.AddSeconds(2);
        var cancelledId = (await SubmitAsync(token, "payments.charge", Charge, notBefore)).GetProperty("id").GetString()!;
        // A witness due just after it, on the same queue: once it has run, the cancelled command's message was delivered too.
        var witnessId = (await SubmitAsync(token, "payments.charge", Charge, notBefore.AddMilliseconds(500))).GetProperty("id").GetString()!;

        using var cancel = system.Request(HttpMethod.Post, $"api/commands/{cancelledId}/cancel", token);
        using var cancelled = await system.Http.SendAsync(cancel, Ct);

        Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
        Assert.Equal("Cancelled", (await cancelled.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetString());
        Assert.Equal("Succeeded", (await system.WaitForStatusAsync(token, witnessId, "Succeeded")).GetProperty("status").GetString());
        Assert.True(await SystemFixture.EventuallyAsync(
            async () => await system.CountAsync("SELECT count(*) FROM outbox WHERE command_id = @id AND sent_at IS NOT NULL", ("id", Guid.Parse(cancelledId))) == 1,
            TimeSpan.FromSeconds(10)), "the cancelled command's message was never published");
        Assert.Equal("Cancelled", await system.CommandStatusAsync(token, cancelledId));
        Assert.Equal(0, await system.Providers.EffectsForKeyAsync("payments", cancelledId));
        Assert.DoesNotContain(await system.Providers.RequestsAsync("payments", "/v1/charges", notBefore.AddMinutes(-1)), r => r.IdempotencyKey == cancelledId);

        // Once it ran, a command can no longer be cancelled.
        using var late = system.Request(HttpMethod.Post, $"api/commands/{witnessId}/cancel", token);
        using var refused = await system.Http.SendAsync(late, Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("Succeeded", (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("commandStatus").GetString());
    }

    [Fact]
    public async Task ABatch_RunsEveryCommand_Once()
    {
        var token = await system.TokenAsync("tenant-batch");
        var batch = $$"""
            {"items":[
              {"type":"payments.charge","body":{{Charge}}},
              {"type":"notifications.send","body":{"channel":"email","to":"ada@example.com","subject":"Batch","body":"Hi"},"idempotencyKey":"{{Guid.NewGuid():N}}"},
              {"type":"payments.charge","body":{{Charge}},"timeout":600}
            ]}
            """;

        using var request = system.Request(HttpMethod.Post, "api/commands/batch", token, new StringContent(batch, Encoding.UTF8, "application/json"));
        using var response = await system.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var items = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["payments.charge", "notifications.send", "payments.charge"], items.Select(i => i.GetProperty("type").GetString()));
        foreach (var item in items)
        {
            var id = item.GetProperty("id").GetString()!;
            Assert.Equal("Succeeded", (await system.WaitForStatusAsync(token, id, "Succeeded")).GetProperty("status").GetString());
            Assert.Equal(1, await system.Providers.EffectsForKeyAsync(item.GetProperty("type").GetString() == "payments.charge" ? "payments" : "notifications", id));
        }
    }
}
