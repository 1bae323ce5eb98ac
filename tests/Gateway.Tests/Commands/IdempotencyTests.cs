using System.Net;
using System.Text.Json;
using Messaging.Gateway.Commands;
using Npgsql;

namespace Messaging.Gateway.Tests.Commands;

public sealed class IdempotencyTests(CommandsApiFixture fixture) : IClassFixture<CommandsApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Submit_WithSameKeyAndSameBody_ReplaysFirstResponse()
    {
        const string tenant = "tenant-replay";
        using var client = fixture.ClientFor(tenant);

        using var first = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "order-42"), Ct);
        // Same request, written differently: other property order, whitespace and a trailing zero less.
        using var second = await client.SendAsync(CommandRequestsFor.Post("payments.charge",
            """{ "customerId": "cus_123", "description": "Order 42", "currency": "EUR", "amount": 10.5 }""", "order-42"), Ct);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await second.Content.ReadAsStringAsync(Ct));
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(["true"], second.Headers.GetValues("Idempotent-Replayed"));
        Assert.Equal(1, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
        Assert.Equal(1, await fixture.CountAsync("outbox", $"headers->>'Messaging-Tenant' = '{tenant}'"));
    }

    [Fact]
    public async Task Submit_WithKey_StoresTheKeyWithHashResponseAndRetention()
    {
        const string tenant = "tenant-key-row";
        using var client = fixture.ClientFor(tenant);

        using var response = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "key-row", "60"), Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        using var json = JsonDocument.Parse(body);
        await using var connection = await fixture.OpenDatabaseAsync();
        await using var select = new NpgsqlCommand(
            "SELECT command_id, status_code, response_body::text, created_at, expires_at, octet_length(request_hash) FROM idempotency_keys WHERE tenant = @t AND key = 'key-row'",
            connection);
        select.Parameters.AddWithValue("t", tenant);
        await using var reader = await select.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal(json.RootElement.GetProperty("id").GetGuid(), reader.GetGuid(0));
        Assert.Equal(202, reader.GetInt32(1));
        using var stored = JsonDocument.Parse(reader.GetString(2));
        Assert.Equal("Accepted", stored.RootElement.GetProperty("status").GetString());
        Assert.Equal(fixture.Time.GetUtcNow(), reader.GetFieldValue<DateTimeOffset>(3));
        Assert.Equal(fixture.Time.GetUtcNow() + TimeSpan.FromHours(24), reader.GetFieldValue<DateTimeOffset>(4));
        Assert.Equal(32, reader.GetInt32(5));
    }

    [Fact]
    public async Task Submit_WithSameKeyAndOtherBody_Returns422AndStoresNothingNew()
    {
        const string tenant = "tenant-mismatch";
        using var client = fixture.ClientFor(tenant);
        using var first = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "k-1"), Ct);

        using var second = await client.SendAsync(CommandRequestsFor.Post("payments.charge",
            """{"amount":11,"currency":"EUR","customerId":"cus_123"}""", "k-1"), Ct);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, second.StatusCode);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
        Assert.False(second.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
        Assert.Equal(1, await fixture.CountAsync("outbox", $"headers->>'Messaging-Tenant' = '{tenant}'"));
    }

    [Fact]
    public async Task Submit_WithSameKeyAndOtherType_Returns422()
    {
        using var client = fixture.ClientFor("tenant-mismatch-type");
        using var first = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "k-type"), Ct);

        using var second = await client.SendAsync(CommandRequestsFor.Post("notifications.send", CommandRequestsFor.Email, "k-type"), Ct);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, second.StatusCode);
    }

    [Fact]
    public async Task Submit_WithSameKeyAndOtherCommandTimeout_Returns422()
    {
        using var client = fixture.ClientFor("tenant-mismatch-timeout");
        using var first = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "k-2", timeout: "60"), Ct);

        using var second = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "k-2", timeout: "120"), Ct);
        using var third = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "k-2"), Ct);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, second.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, third.StatusCode);
    }

    [Fact]
    public async Task Submit_WithSameKeyFromAnotherTenant_CreatesItsOwnCommand()
    {
        using var a = fixture.ClientFor("tenant-scope-a");
        using var b = fixture.ClientFor("tenant-scope-b");

        using var first = await a.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "shared-key"), Ct);
        using var second = await b.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "shared-key"), Ct);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.False(second.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(first.Headers.Location, second.Headers.Location);
    }

    [Fact]
    public async Task Submit_WhileFirstRequestWithKeyIsInFlight_Returns409()
    {
        const string tenant = "tenant-in-flight";
        using var client = fixture.ClientFor(tenant);
        await using var connection = await fixture.OpenDatabaseAsync();
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@k)", connection, transaction))
        {
            // Exactly what a first request holds while it stores its command.
            hold.Parameters.AddWithValue("k", CommandStore.IdempotencyLockKey(tenant, "busy-key"));
            await hold.ExecuteNonQueryAsync(Ct);
        }

        using var whileHeld = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "busy-key"), Ct);
        await transaction.RollbackAsync(Ct);
        using var afterwards = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "busy-key"), Ct);

        Assert.Equal(HttpStatusCode.Conflict, whileHeld.StatusCode);
        Assert.Equal("application/problem+json", whileHeld.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Accepted, afterwards.StatusCode);
        Assert.False(afterwards.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
    }

    [Fact]
    public async Task Submit_HundredConcurrentIdenticalRequests_CreateExactlyOneCommand()
    {
        const string tenant = "tenant-concurrent";
        using var client = fixture.ClientFor(tenant);

        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(async _ =>
        {
            using var response = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "burst-key"), Ct);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(Ct));
        }));

        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.Conflict }));
        var accepted = responses.Where(r => r.StatusCode == HttpStatusCode.Accepted).Select(r => r.Body).ToList();
        Assert.NotEmpty(accepted);
        Assert.Single(accepted.Distinct());
        Assert.Equal(1, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
        Assert.Equal(1, await fixture.CountAsync("outbox", $"headers->>'Messaging-Tenant' = '{tenant}'"));
        Assert.Equal(1, await fixture.CountAsync("idempotency_keys", $"tenant = '{tenant}'"));
    }

    [Fact]
    public async Task Submit_WithExpiredKey_TreatsItAsNewAndReplacesTheRecord()
    {
        const string tenant = "tenant-expired";
        using var before = fixture.ClientFor(tenant);
        using var first = await before.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "old-key"), Ct);

        fixture.Time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        using var after = fixture.ClientFor(tenant); // the earlier token has expired on the fake clock
        using var second = await after.SendAsync(CommandRequestsFor.Post("payments.charge",
            """{"amount":99,"currency":"USD","customerId":"cus_9"}""", "old-key"), Ct);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.False(second.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(first.Headers.Location, second.Headers.Location);
        Assert.Equal(2, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
        Assert.Equal(1, await fixture.CountAsync("idempotency_keys", $"tenant = '{tenant}'"));
        using var body = JsonDocument.Parse(await second.Content.ReadAsStringAsync(Ct));
        Assert.Equal(1, await fixture.CountAsync("idempotency_keys",
            $"tenant = '{tenant}' AND command_id = '{body.RootElement.GetProperty("id").GetGuid()}'"));
    }

    [Fact]
    public async Task Submit_WithKeyJustBeforeExpiry_StillReplays()
    {
        const string tenant = "tenant-not-expired";
        using var before = fixture.ClientFor(tenant);
        using var first = await before.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "young-key"), Ct);

        fixture.Time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        using var after = fixture.ClientFor(tenant);
        using var second = await after.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "young-key"), Ct);

        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(["true"], second.Headers.GetValues("Idempotent-Replayed"));
        Assert.Equal(first.Headers.Location, second.Headers.Location);
    }
}
