using System.Net;
using System.Text;
using System.Text.Json;
using Messaging.Gateway.Commands;
using Messaging.Store.Outbox;
using Npgsql;

namespace Messaging.Gateway.Tests.Commands;

/// <summary>
/// The <c>Callback-Url</c> header and a batch item's <c>callbackUrl</c>: stored normalised when its origin is on the tenant's
/// allow-list, 400 keyed <c>Callback-Url</c> with nothing stored otherwise, and part of the idempotent request only when given.
/// </summary>
public sealed class CallbackUrlTests(CallbackCommandsFixture fixture) : IClassFixture<CallbackCommandsFixture>
{
    private const string Tenant = CallbackCommandsFixture.Tenant;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpRequestMessage Post(string? callbackUrl, string? key = null)
    {
        var request = CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, key);
        if (callbackUrl is not null)
        {
            request.Headers.TryAddWithoutValidation(CommandsEndpoints.CallbackUrlHeader, callbackUrl);
        }

        return request;
    }

    private async Task<string?> StoredCallbackUrlAsync(Guid id)
    {
        await using var connection = await fixture.OpenDatabaseAsync();
        await using var select = new NpgsqlCommand("SELECT callback_url FROM commands WHERE id = @id", connection);
        select.Parameters.AddWithValue("id", id);
        return await select.ExecuteScalarAsync(Ct) as string;
    }

    private static async Task<Guid> IdOfAsync(HttpResponseMessage response)
    {
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return body.RootElement.GetProperty("id").GetGuid();
    }

    [Theory]
    [InlineData("https://hooks.example.com/done/42?ref=a", "https://hooks.example.com/done/42?ref=a")]
    [InlineData("HTTPS://Hooks.Example.COM:443/done", "https://hooks.example.com/done")] // the same origin, normalised
    [InlineData("http://127.0.0.1:5099/cb", "http://127.0.0.1:5099/cb")]
    public async Task Submit_WithACallbackUrlOnTheAllowList_StoresItNormalised(string callbackUrl, string stored)
    {
        using var client = fixture.ClientFor(Tenant);

        using var response = await client.SendAsync(Post(callbackUrl), Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(stored, await StoredCallbackUrlAsync(await IdOfAsync(response)));
    }

    [Fact]
    public async Task TheStatusDocument_ShowsTheCallbackState_OnlyForACommandWithACallback()
    {
        using var client = fixture.ClientFor(Tenant);
        using var withCallback = await client.SendAsync(Post(CallbackCommandsFixture.Origin + "/status"), Ct);
        using var without = await client.SendAsync(Post(null), Ct);
        var id = await IdOfAsync(withCallback);

        using (var pending = JsonDocument.Parse(await client.GetStringAsync($"/api/commands/{id}", Ct)))
        {
            var callback = pending.RootElement.GetProperty("callback");
            Assert.Equal("Pending", callback.GetProperty("state").GetString());
            Assert.Equal(0, callback.GetProperty("attempts").GetInt32());
            Assert.False(callback.TryGetProperty("lastError", out _));
        }

        await using (var connection = await fixture.OpenDatabaseAsync())
        await using (var update = new NpgsqlCommand(
            "UPDATE commands SET callback_state = 'Delivering', callback_attempts = 3, callback_last_error = 'HTTP 503' WHERE id = @id", connection))
        {
            update.Parameters.AddWithValue("id", id);
            await update.ExecuteNonQueryAsync(Ct);
        }

        using (var delivering = JsonDocument.Parse(await client.GetStringAsync($"/api/commands/{id}", Ct)))
        {
            var callback = delivering.RootElement.GetProperty("callback");
            Assert.Equal("Delivering", callback.GetProperty("state").GetString());
            Assert.Equal(3, callback.GetProperty("attempts").GetInt32());
            Assert.Equal("HTTP 503", callback.GetProperty("lastError").GetString());
        }

        using var plain = JsonDocument.Parse(await client.GetStringAsync($"/api/commands/{await IdOfAsync(without)}", Ct));
        Assert.False(plain.RootElement.TryGetProperty("callback", out _));
    }

    [Fact]
    public async Task Submit_WithoutCallbackUrl_StoresNone()
    {
        using var client = fixture.ClientFor(Tenant);

        using var response = await client.SendAsync(Post(null), Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Null(await StoredCallbackUrlAsync(await IdOfAsync(response)));
    }

    [Theory]
    [InlineData("https://evil.example.com/cb")] // another origin
    [InlineData("https://hooks.example.com.evil.net/cb")]
    [InlineData("https://hooks.example.com:8443/cb")] // another port is another origin
    [InlineData("http://hooks.example.com/cb")] // another scheme is another origin
    [InlineData("http://127.0.0.1:5098/cb")]
    [InlineData("ftp://hooks.example.com/cb")]
    [InlineData("javascript:alert(1)")]
    [InlineData("https://user:secret@hooks.example.com/cb")]
    [InlineData("https://hooks.example.com@evil.example.com/cb")]
    [InlineData("https://hooks.example.com/cb#fragment")]
    [InlineData("/relative/cb")]
    [InlineData("hooks.example.com/cb")]
    [InlineData("https://hooks.example.com/a b")]
    [InlineData("https://hooks.exämple.com/cb")]
    [InlineData("https://")]
    public async Task Submit_WithARefusedCallbackUrl_Returns400KeyedCallbackUrl_AndStoresNothing(string callbackUrl)
    {
        // A fresh client id per case: nothing of one case can be counted for another.
        var clientId = "client-cb-" + Guid.NewGuid().ToString("N")[..8];
        using var client = fixture.ClientFor(Tenant, clientId: clientId);
        using var request = CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge);
        request.Headers.TryAddWithoutValidation(CommandsEndpoints.CallbackUrlHeader, Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(callbackUrl)));

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(CommandsEndpoints.CallbackUrlHeader, out _));
        Assert.Equal(0, await fixture.CountAsync("commands", $"client_id = '{clientId}'"));
        Assert.Equal(0, await fixture.CountAsync("outbox", $"headers->>'Messaging-Client' = '{clientId}'"));
    }

    [Fact]
    public async Task Submit_ForATenantWithoutCallbackOrigins_Returns400_EvenForAnotherTenantsOrigin()
    {
        const string tenant = "tenant-without-callbacks";
        using var client = fixture.ClientFor(tenant);

        using var response = await client.SendAsync(Post(CallbackCommandsFixture.Origin + "/cb"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
    }

    [Fact]
    public async Task Submit_WithCallbackUrlGivenTwice_Returns400()
    {
        using var client = fixture.ClientFor(Tenant);
        using var request = Post(CallbackCommandsFixture.Origin + "/a");
        request.Headers.TryAddWithoutValidation(CommandsEndpoints.CallbackUrlHeader, CallbackCommandsFixture.Origin + "/b");

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task CallbackUrl_IsPartOfTheIdempotentRequest_OnlyWhenGiven()
    {
        using var client = fixture.ClientFor(Tenant);
        var url = CallbackCommandsFixture.Origin + "/done";

        using var first = await client.SendAsync(Post(url, key: "cb-1"), Ct);
        using var same = await client.SendAsync(Post(url, key: "cb-1"), Ct);
        using var sameNormalised = await client.SendAsync(Post("https://HOOKS.example.com:443/done", key: "cb-1"), Ct);
        using var otherUrl = await client.SendAsync(Post(url + "/other", key: "cb-1"), Ct);
        using var without = await client.SendAsync(Post(null, key: "cb-1"), Ct);
        using var plain = await client.SendAsync(Post(null, key: "cb-2"), Ct);
        using var plainAgain = await client.SendAsync(Post(null, key: "cb-2"), Ct);
        using var plainThenWith = await client.SendAsync(Post(url, key: "cb-2"), Ct);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(["true"], same.Headers.GetValues("Idempotent-Replayed"));
        Assert.Equal(["true"], sameNormalised.Headers.GetValues("Idempotent-Replayed"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherUrl.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, without.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, plain.StatusCode);
        Assert.Equal(["true"], plainAgain.Headers.GetValues("Idempotent-Replayed"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, plainThenWith.StatusCode);
        Assert.Equal(2, await fixture.CountAsync("commands", $"tenant = '{Tenant}' AND idempotency_key IN ('cb-1', 'cb-2')"));
    }

    [Fact]
    public void RequestHash_WithoutCallbackUrl_IsTheHashKeysWereStoredWith()
    {
        // Keys stored before Callback-Url existed hashed type, timeout, payload and, when given, the Not-Before: they must still replay.
        var payload = """{"amount":10.5}""";
        var notBefore = new DateTimeOffset(2031, 5, 4, 12, 0, 0, TimeSpan.Zero);
        var plain = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes($"payments.charge\060\0{payload}"));
        var scheduled = System.Security.Cryptography.SHA256.HashData(
            Encoding.UTF8.GetBytes($"payments.charge\0\0{payload}\0not-before=2031-05-04T12:00:00.0000000Z"));

        Assert.Equal(plain, CommandRows.RequestHash("payments.charge", 60, payload));
        Assert.Equal(plain, CommandRows.RequestHash("payments.charge", 60, payload, callbackUrl: null));
        Assert.Equal(scheduled, CommandRows.RequestHash("payments.charge", null, payload, notBefore));
        Assert.NotEqual(plain, CommandRows.RequestHash("payments.charge", 60, payload, callbackUrl: "https://hooks.example.com/"));
        Assert.NotEqual(scheduled, CommandRows.RequestHash("payments.charge", null, payload, notBefore, "https://hooks.example.com/"));
    }

    [Fact]
    public async Task Batch_WithCallbackUrls_StoresThemPerItem_AndARefusedOneStoresNothing()
    {
        using var client = fixture.ClientFor(Tenant, clientId: "client-cb-batch");
        var good = CallbackCommandsFixture.Origin + "/batch";

        using var accepted = await client.SendAsync(Batch(
            $$"""{"type":"payments.charge","body":{{CommandRequestsFor.Charge}},"callbackUrl":"{{good}}"}""",
            $$"""{"type":"payments.charge","body":{{CommandRequestsFor.Charge}}}"""), Ct);
        using var refused = await client.SendAsync(Batch(
            $$"""{"type":"payments.charge","body":{{CommandRequestsFor.Charge}}}""",
            $$"""{"type":"payments.charge","body":{{CommandRequestsFor.Charge}},"callbackUrl":"https://evil.example.com/cb"}"""), Ct);

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        using (var body = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync(Ct)))
        {
            var items = body.RootElement.GetProperty("items");
            Assert.Equal(good, await StoredCallbackUrlAsync(items[0].GetProperty("id").GetGuid()));
            Assert.Null(await StoredCallbackUrlAsync(items[1].GetProperty("id").GetGuid()));
        }

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Ct));
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("items[1].callbackUrl", out _));
        Assert.Equal(2, await fixture.CountAsync("commands", "client_id = 'client-cb-batch'"));
    }

    private static HttpRequestMessage Batch(params string[] items)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/commands/batch")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes($$"""{"items":[{{string.Join(",", items)}}]}""")),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        return request;
    }
}
