using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Messaging.System.Tests;

/// <summary>
/// Failover between the payments provider's endpoints with real processes: with the primary in outage,
/// commands succeed through the secondary, each with exactly one effect (the same Idempotency-Key goes to
/// every endpoint), and the primary's breaker opens so it stops receiving calls. A system of its own: on the
/// shared one, other tests reset breakers through the API, and a reset primary breaker takes calls again.
/// </summary>
public sealed class ProviderFailoverTests(FailoverSystem system) : IClassFixture<FailoverSystem>
{
    [Fact]
    public async Task WithThePrimaryPaymentsEndpointInOutage_CommandsSucceedThroughTheSecondary_WithOneEffectEach()
    {
        var token = await system.TokenAsync("tenant-failover");
        await system.Providers.SetFaultsAsync("payments-primary", new { outage = true });
        try
        {
            var ids = new List<string>();
            for (var i = 0; i < 30; i++)
            {
                using var request = system.Request(HttpMethod.Post, "api/commands/payments.charge", token,
                    new StringContent($$"""{"amount":{{i + 1}},"currency":"EUR","customerId":"cus_failover"}""", Encoding.UTF8, "application/json"));
                using var response = await system.Http.SendAsync(request, TestContext.Current.CancellationToken);
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                ids.Add((await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetString()!);
            }

            foreach (var id in ids)
            {
                var status = await system.WaitForStatusAsync(token, id, "Succeeded", TimeSpan.FromSeconds(60));
                Assert.Equal("Succeeded", status.GetProperty("status").GetString());
            }

            var ledger = await system.Providers.LedgerAsync("payments");
            var effects = ledger.GetProperty("effects").EnumerateArray()
                .Where(e => ids.Contains(e.GetProperty("idempotencyKey").GetString()!)).ToList();
            Assert.Equal(ids.Count, effects.Count);
            Assert.All(effects, e => Assert.Equal("payments-secondary", e.GetProperty("instance").GetString()));
            Assert.Equal(0, ledger.GetProperty("duplicateEffects").GetInt32());

            // The primary's breaker opened: once it did, calls went straight to the secondary. Each key's requests
            // beyond its one effect on the secondary are the attempts that went to the primary first.
            var primaryAttempts = effects.Sum(e => e.GetProperty("requestCount").GetInt32() - 1);
            Assert.True(primaryAttempts < ids.Count, $"the primary received {primaryAttempts} requests for {ids.Count} commands");
        }
        finally
        {
            await system.Providers.ClearFaultsAsync();
        }
    }
}
