using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Testing.Harness;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;

namespace Messaging.System.Tests.Callbacks;

/// <summary>
/// Completion callbacks end to end on real processes (gateway, workers, FakeServices) and real receivers: signed so that the
/// StandardWebhooks package verifies them, delivered once per transition after a receiver's failures, a new event (and id)
/// when a redriven command ends again, origins that do not hold each other up, and origins off the allow-list refused.
/// </summary>
public sealed class CompletionCallbackTests(CallbackSystem system) : IClassFixture<CallbackSystem>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASucceededCommand_SendsOneEvent_ThatTheStandardWebhooksPackageVerifies_WithItsStatusDocument()
    {
        var (client, token) = await ClientAsync();
        var path = "succeeded/" + Guid.NewGuid().ToString("N");

        var id = await system.SubmitAsync(token, "payments.charge", """{"amount":10,"currency":"EUR","customerId":"cus_callback"}""", system.First.Url(path));
        var callback = await DeliveredAsync(token, id);

        var received = Assert.Single(system.First.On(path));
        new StandardWebhook(client.CallbackSecret!).Verify(received.Body, Headers(received));
        Assert.Throws<StandardWebhooks.Diagnostics.WebhookVerificationException>(() =>
            new StandardWebhook(client.CallbackSecret!).Verify(received.Body.Replace("Succeeded", "Failed", StringComparison.Ordinal), Headers(received)));
        Assert.StartsWith("application/json", received.Headers["content-type"], StringComparison.Ordinal);

        using var body = JsonDocument.Parse(received.Body);
        var root = body.RootElement;
        Assert.Equal("command.succeeded", root.GetProperty("type").GetString());
        var status = await StatusAsync(token, id);
        var data = root.GetProperty("data");
        foreach (var field in new[] { "id", "type", "status", "attempts", "result" })
        {
            Assert.Equal(status.GetProperty(field).GetRawText(), data.GetProperty(field).GetRawText());
        }

        foreach (var field in new[] { "createdAt", "updatedAt", "deadline" })
        {
            Assert.Equal(status.GetProperty(field).GetDateTimeOffset(), data.GetProperty(field).GetDateTimeOffset());
        }

        Assert.Equal(status.GetProperty("updatedAt").GetDateTimeOffset(), root.GetProperty("timestamp").GetDateTimeOffset());
        Assert.Equal(("Delivered", 1), (callback.GetProperty("state").GetString(), callback.GetProperty("attempts").GetInt32()));
        Assert.False(data.TryGetProperty("callback", out _));
    }

    [Fact]
    public async Task AReceiverThatAnswers500ForAWhile_GetsTheEventAfterwards_ExactlyOnce_UnderOneId()
    {
        var (_, token) = await ClientAsync();
        var path = "flaky/" + Guid.NewGuid().ToString("N");
        system.Second.FailNext(path, 3);

        var id = await system.SubmitAsync(token, "payments.charge", """{"amount":11,"currency":"EUR","customerId":"cus_flaky"}""", system.Second.Url(path));
        var callback = await DeliveredAsync(token, id);

        var received = system.Second.On(path);
        Assert.Equal([500, 500, 500, 204], received.Select(r => r.Answered));
        Assert.Single(received.Select(r => r.WebhookId).Distinct());
        Assert.Equal(("Delivered", 4), (callback.GetProperty("state").GetString(), callback.GetProperty("attempts").GetInt32()));
        Assert.Equal("Succeeded", (await StatusAsync(token, id)).GetProperty("status").GetString());

        // Nothing more arrives: the delivery is done.
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        Assert.Equal(4, system.Second.On(path).Count);
    }

    [Fact]
    public async Task ARedrivenDeadLetter_ThatEndsAgain_SendsASecondEvent_WithANewId()
    {
        var (client, token) = await ClientAsync();
        var path = "redriven/" + Guid.NewGuid().ToString("N");
        string id;
        await system.Providers.SetFaultsAsync("payments-primary", new { outage = true });
        await system.Providers.SetFaultsAsync("payments-secondary", new { outage = true });
        try
        {
            id = await system.SubmitAsync(token, "payments.charge", """{"amount":12,"currency":"EUR","customerId":"cus_redriven"}""", system.First.Url(path));
            Assert.Equal("DeadLettered", (await system.WaitForStatusAsync(token, id, "DeadLettered", Wait)).GetProperty("status").GetString());
            await DeliveredAsync(token, id);
        }
        finally
        {
            await system.Providers.ClearFaultsAsync();
        }

        using (var redrive = await system.Http.SendAsync(system.Request(HttpMethod.Post, $"api/commands/{id}/redrive", token), Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, redrive.StatusCode);
        }

        Assert.Equal("Succeeded", (await system.WaitForStatusAsync(token, id, "Succeeded", Wait)).GetProperty("status").GetString());
        await DeliveredAsync(token, id);

        var received = system.First.On(path);
        Assert.Equal(["command.dead_lettered", "command.succeeded"], received.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("type").GetString()));
        Assert.Equal(2, received.Select(r => r.WebhookId).Distinct().Count());
        Assert.All(received, r => new StandardWebhook(client.CallbackSecret!).Verify(r.Body, Headers(r)));
    }

    [Fact]
    public async Task ASlowReceiver_DoesNotHoldUpAnotherOriginsEvents_OrTheCommands()
    {
        var (_, token) = await ClientAsync();
        var slow = "slow/" + Guid.NewGuid().ToString("N");
        var fast = "fast/" + Guid.NewGuid().ToString("N");
        system.First.Close(slow);
        try
        {
            // More events for the slow origin than the endpoint has slots for one origin, all held by the receiver.
            var held = new List<string>();
            for (var i = 0; i < 12; i++)
            {
                held.Add(await system.SubmitAsync(token, "payments.charge", $$"""{"amount":{{20 + i}},"currency":"EUR","customerId":"cus_slow"}""",
                    system.First.Url(slow)));
            }

            Assert.True(await SystemFixture.EventuallyAsync(() => Task.FromResult(system.First.InFlight > 0), Wait), "the slow receiver got nothing");

            // While it holds them, another origin's event and a command without a callback go through.
            var other = await system.SubmitAsync(token, "payments.charge", """{"amount":40,"currency":"EUR","customerId":"cus_fast"}""", system.Second.Url(fast));
            var plain = await system.SubmitAsync(token, "payments.charge", """{"amount":41,"currency":"EUR","customerId":"cus_plain"}""");
            Assert.Equal("Delivered", (await DeliveredAsync(token, other)).GetProperty("state").GetString());
            Assert.Equal("Succeeded", (await system.WaitForStatusAsync(token, plain, "Succeeded", Wait)).GetProperty("status").GetString());
            Assert.Single(system.Second.On(fast));

            // The slow origin never had more requests open at once than its limit, and no event of it was delivered yet.
            Assert.InRange(system.First.InFlight, 1, 4);
            Assert.Empty(system.First.On(slow));
            Assert.All(held, id => Assert.Equal(0, system.First.On(slow).Count(r => r.Body.Contains(id, StringComparison.Ordinal))));
        }
        finally
        {
            system.First.Open(slow);
        }
    }

    [Fact]
    public async Task ACallbackUrlOffTheAllowList_Is400_AndNothingIsStored()
    {
        var (_, token) = await ClientAsync();
        var key = Guid.NewGuid().ToString("N");
        using var request = system.Request(HttpMethod.Post, "api/commands/payments.charge", token,
            new StringContent("""{"amount":13,"currency":"EUR","customerId":"cus_ssrf"}""", Encoding.UTF8, "application/json"));
        request.Headers.Add("Callback-Url", "http://169.254.169.254/latest/meta-data");
        request.Headers.Add("Idempotency-Key", key);

        using var response = await system.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty("Callback-Url", out _));
        Assert.Equal(0, await system.CountAsync("SELECT count(*) FROM idempotency_keys WHERE key = @key", ("key", key)));
        Assert.Equal(0, await system.CountAsync("SELECT count(*) FROM commands WHERE callback_url LIKE 'http://169.254.169.254%'"));
    }

    private async Task<(ClientCredentials Client, string Token)> ClientAsync()
    {
        var client = await system.AddClientAsync(CallbackSystem.Tenant);
        Assert.NotNull(client.CallbackSecret);
        using var response = await system.RequestTokenAsync(client.ClientId, client.Secret);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("access_token").GetString()!;
        system.SecretsUsed.Add(token);
        return (client, token);
    }

    // Waits until the command has ended and its latest event is delivered; returns the status document's callback.
    private async Task<JsonElement> DeliveredAsync(string token, string id)
    {
        JsonElement callback = default;
        var delivered = await SystemFixture.EventuallyAsync(async () =>
        {
            var status = await StatusAsync(token, id);
            return status.TryGetProperty("callback", out callback) && callback.GetProperty("state").GetString() is "Delivered" or "DeadLettered";
        }, Wait);
        Assert.True(delivered, $"the callback of {id} was not delivered: {callback}; {await system.DescribeCommandAsync(Guid.Parse(id))}");
        return callback;
    }

    private async Task<JsonElement> StatusAsync(string token, string id)
    {
        using var response = await system.Http.SendAsync(system.Request(HttpMethod.Get, $"api/commands/{id}", token), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private static HeaderDictionary Headers(ReceivedCallback received) => new()
    {
        ["webhook-id"] = received.Headers["webhook-id"],
        ["webhook-timestamp"] = received.Headers["webhook-timestamp"],
        ["webhook-signature"] = received.Headers["webhook-signature"],
    };
}
