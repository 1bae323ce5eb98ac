using System.Net;
using System.Text.Json;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests;

/// <summary>
/// Dead letters end to end, on a system of their own (its providers are put in outage and its worker is
/// killed): exhausted retries end <c>DeadLettered</c> after exactly the configured attempts with
/// <c>PaymentFailed</c> published; a redrive after the provider recovers succeeds with one effect; and a
/// worker killed in the middle of a command never causes a second effect.
/// </summary>
public sealed class DeadLetterTests(FaultsSystem system) : IClassFixture<FaultsSystem>
{
    private const string Tenant = "tenant-dead-letters";

    [Fact]
    public async Task ExhaustedRetries_EndDeadLetteredAfterExactlyTheConfiguredAttempts_WithPaymentFailedPublished()
    {
        var token = await system.TokenAsync(Tenant);
        await using var paymentFailed = await system.Broker.TapAsync("Messaging.Contracts.Events:PaymentFailed");
        string id;
        JsonElement status;
        await OutageAsync();
        try
        {
            id = await system.SubmitAsync(token, "payments.charge", """{"amount":31.5,"currency":"EUR","customerId":"cus_exhausted"}""");
            status = await system.WaitForStatusAsync(token, id, "DeadLettered", TimeSpan.FromSeconds(60));
        }
        finally
        {
            await system.Providers.ClearFaultsAsync();
        }

        Assert.Equal("DeadLettered", status.GetProperty("status").GetString());
        Assert.Equal(FaultsSettings.MaxAttempts, status.GetProperty("attempts").GetInt32());
        Assert.Equal("dead_lettered", status.GetProperty("error").GetProperty("code").GetString());
        // Each attempt tries the primary, then fails over to the secondary.
        var calls = await system.Providers.RequestsAsync("payments", "/v1/charges", DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Equal(FaultsSettings.MaxAttempts * 2, calls.Count(c => c.IdempotencyKey == id));
        Assert.Equal(1, await system.CountAsync("SELECT count(*) FROM dead_letters WHERE command_id = @id AND source = 'retries-exhausted' AND attempts = @n",
            ("id", Guid.Parse(id)), ("n", FaultsSettings.MaxAttempts)));

        var published = await paymentFailed.WaitForAsync(m => m.GetProperty("commandId").GetString() == id, TimeSpan.FromSeconds(30));
        Assert.NotNull(published);
        Assert.Equal(Tenant, published.Value.GetProperty("tenant").GetString());
        Assert.Equal("31.5", published.Value.GetProperty("amount").ToString()); // MassTransit writes decimals as strings
        Assert.Equal("cus_exhausted", published.Value.GetProperty("customerId").GetString());
    }

    [Fact]
    public async Task ARedriveAfterTheProviderRecovers_OfALetterWhoseDeadlinePassed_BringsTheCommandToSucceeded_WithOneEffect()
    {
        var token = await system.TokenAsync(Tenant);
        string id;
        await OutageAsync();
        try
        {
            id = await system.SubmitAsync(token, "payments.charge", """{"amount":12,"currency":"EUR","customerId":"cus_redrive"}""");
            Assert.Equal("DeadLettered", (await system.WaitForStatusAsync(token, id, "DeadLettered", TimeSpan.FromSeconds(60))).GetProperty("status").GetString());
        }
        finally
        {
            await system.Providers.ClearFaultsAsync();
        }

        // An old dead letter: its deadline (on the row and in the message it keeps) passed long ago. The redrive gives it
        // a fresh one, the type's default, instead of sending it back only to end Expired.
        Assert.Equal(1, await system.CountAsync(
            """
            WITH aged AS (UPDATE commands SET deadline = now() - interval '1 day' WHERE id = @id RETURNING id),
                 letter AS (UPDATE dead_letters SET headers = headers || jsonb_build_object('Messaging-Deadline', now() - interval '1 day')
                            WHERE command_id = @id)
            SELECT count(*) FROM aged
            """, ("id", Guid.Parse(id))));
        using var redrive = await system.Http.SendAsync(system.Request(HttpMethod.Post, $"api/commands/{id}/redrive", token), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, redrive.StatusCode);
        var status = await system.WaitForStatusAsync(token, id, "Succeeded", TimeSpan.FromSeconds(60));

        Assert.Equal("Succeeded", status.GetProperty("status").GetString());
        Assert.Equal(1, await system.CountAsync("SELECT count(*) FROM commands WHERE id = @id AND deadline > now() + interval '50 minutes'", ("id", Guid.Parse(id))));
        Assert.Equal(1, status.GetProperty("attempts").GetInt32());
        Assert.Equal(1, await system.Providers.EffectsForKeyAsync("payments", id));
        using var again = await system.Http.SendAsync(system.Request(HttpMethod.Post, $"api/commands/{id}/redrive", token), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task AWorkerKilledInTheMiddleOfACommand_NeverCausesASecondEffect()
    {
        var token = await system.TokenAsync(Tenant);
        // The primary fails at once and the call moves to the secondary, which takes 10 s to answer: the
        // primary's 503 in the provider's log says the call is on its way to the secondary.
        await system.Providers.SetFaultsAsync("payments-primary", new { outage = true });
        await system.Providers.SetFaultsAsync("payments-secondary", new { latencyMs = 10_000 });
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        string id;
        try
        {
            id = await system.SubmitAsync(token, "payments.charge", """{"amount":77,"currency":"EUR","customerId":"cus_killed"}""");
            Assert.True(await SystemFixture.EventuallyAsync(
                    async () => (await system.Providers.RequestsAsync("payments", "/v1/charges", started)).Any(r => r.IdempotencyKey == id && r.Status == 503),
                    TimeSpan.FromSeconds(30)),
                "the call never reached the primary");
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
            system.Workers.Kill();
        }
        finally
        {
            await system.Providers.ClearFaultsAsync();
        }

        await system.RestartWorkersAsync();
        var status = await system.WaitForStatusAsync(token, id, "Succeeded", TimeSpan.FromSeconds(60));

        Assert.Equal("Succeeded", status.GetProperty("status").GetString());
        // The redelivery is the same attempt, and the provider's idempotency key keeps it to one effect.
        Assert.Equal(1, status.GetProperty("attempts").GetInt32());
        Assert.Equal(1, await system.Providers.EffectsForKeyAsync("payments", id));
        Assert.Equal(0, (await system.Providers.LedgerAsync("payments")).GetProperty("duplicateEffects").GetInt32());
        // The call the kill interrupted did reach the secondary.
        Assert.True(await SystemFixture.EventuallyAsync(
                async () => (await system.Providers.RequestsAsync("payments", "/v1/charges", started)).Any(r => r.IdempotencyKey == id && r.Instance == "payments-secondary"),
                TimeSpan.FromSeconds(15)),
            "the kill did not interrupt a call at the secondary");
    }

    private async Task OutageAsync()
    {
        await system.Providers.SetFaultsAsync("payments-primary", new { outage = true });
        await system.Providers.SetFaultsAsync("payments-secondary", new { outage = true });
    }
}
