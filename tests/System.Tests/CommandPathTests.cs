using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests;

/// <summary>The command path end to end: real Gateway, Workers and FakeServices processes on real services.</summary>
public sealed class CommandPathTests(SystemFixture system)
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task PaymentsCharge_IsAccepted_ThenSucceedsWithTheProviderResult_AndOneEffect()
    {
        var token = await system.TokenAsync("tenant-pay");
        using var request = system.Request(HttpMethod.Post, "api/commands/payments.charge", token,
            Json("""{"amount":12.50,"currency":"EUR","customerId":"cus_123","description":"system test"}"""));
        using var response = await system.Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        var id = accepted.GetProperty("id").GetString()!;
        Assert.Equal("payments.charge", accepted.GetProperty("type").GetString());
        Assert.Equal("Accepted", accepted.GetProperty("status").GetString());
        Assert.Equal($"/api/commands/{id}", accepted.GetProperty("statusUrl").GetString());
        Assert.Equal($"/api/commands/{id}", response.Headers.Location!.OriginalString);

        var status = await system.WaitForStatusAsync(token, id, "Succeeded");
        Assert.Equal("Succeeded", status.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Object, status.GetProperty("result").ValueKind);
        Assert.Equal(1, await system.Providers.EffectsForKeyAsync("payments", id));
    }

    [Fact]
    public async Task NotificationsSend_IsAccepted_ThenSucceeds_WithOneEffect()
    {
        var token = await system.TokenAsync("tenant-notify");
        using var request = system.Request(HttpMethod.Post, "api/commands/notifications.send", token,
            Json("""{"channel":"email","to":"someone@example.com","subject":"Hello","body":"Hi there"}"""));
        using var response = await system.Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetString()!;
        var status = await system.WaitForStatusAsync(token, id, "Succeeded");
        Assert.Equal("Succeeded", status.GetProperty("status").GetString());
        Assert.Equal(1, await system.Providers.EffectsForKeyAsync("notifications", id));
    }

    [Fact]
    public async Task DeclinedCharge_EndsFailed_WithoutRetries()
    {
        var token = await system.TokenAsync("tenant-pay");
        using var request = system.Request(HttpMethod.Post, "api/commands/payments.charge", token,
            Json("""{"amount":5,"currency":"USD","customerId":"cus_declined"}"""));
        using var response = await system.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetString()!;

        var status = await system.WaitForStatusAsync(token, id, "Failed");

        Assert.Equal("Failed", status.GetProperty("status").GetString());
        Assert.Equal(1, status.GetProperty("attempts").GetInt32());
        Assert.False(string.IsNullOrEmpty(status.GetProperty("error").GetProperty("code").GetString()));
    }

    [Fact]
    public async Task HundredConcurrentIdenticalPosts_CreateOneCommand_AndOneProviderEffect()
    {
        var token = await system.TokenAsync("tenant-idem");
        var key = "idem-" + Guid.NewGuid().ToString("N");
        const string body = """{"amount":99.99,"currency":"EUR","customerId":"cus_idem"}""";

        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(async _ =>
        {
            using var request = system.Request(HttpMethod.Post, "api/commands/payments.charge", token, Json(body));
            request.Headers.Add("Idempotency-Key", key);
            using var response = await system.Http.SendAsync(request, TestContext.Current.CancellationToken);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            return (response.StatusCode, text);
        }));

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Conflict, $"{r.StatusCode}: {r.text}"));
        var ids = responses.Where(r => r.StatusCode == HttpStatusCode.Accepted)
            .Select(r => JsonDocument.Parse(r.text).RootElement.GetProperty("id").GetString()).Distinct().ToList();
        var id = Assert.Single(ids)!;
        Assert.Equal(1, await system.CountAsync("SELECT count(*) FROM commands WHERE idempotency_key = @k", ("k", key)));

        await system.WaitForStatusAsync(token, id, "Succeeded");
        Assert.Equal(1, await system.Providers.EffectsForKeyAsync("payments", id));

        // A later retry with the same key replays the first answer.
        using var replay = system.Request(HttpMethod.Post, "api/commands/payments.charge", token, Json(body));
        replay.Headers.Add("Idempotency-Key", key);
        using var replayed = await system.Http.SendAsync(replay, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, replayed.StatusCode);
        Assert.Equal("true", replayed.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(id, (await replayed.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetString());
    }

    [Fact]
    public async Task AnotherTenant_CannotReadOrListTheCommand()
    {
        var owner = await system.TokenAsync("tenant-owner");
        var other = await system.TokenAsync("tenant-other");
        using var request = system.Request(HttpMethod.Post, "api/commands/payments.charge", owner,
            Json("""{"amount":1,"currency":"EUR","customerId":"cus_iso"}"""));
        using var response = await system.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetString()!;

        using var read = await system.Http.SendAsync(system.Request(HttpMethod.Get, $"api/commands/{id}", other), TestContext.Current.CancellationToken);
        using var list = await system.Http.SendAsync(system.Request(HttpMethod.Get, "api/commands?limit=100", other), TestContext.Current.CancellationToken);
        using var own = await system.Http.SendAsync(system.Request(HttpMethod.Get, $"api/commands/{id}", owner), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.DoesNotContain(id, await list.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task AuthFailures_AreRejected_AndLookTheSame()
    {
        var client = await system.AddClientAsync("tenant-auth");
        using var wrongSecret = await system.RequestTokenAsync(client.ClientId, "not-the-secret");
        using var unknownClient = await system.RequestTokenAsync("cli_doesnotexist", "not-the-secret");
        using var noToken = await system.Http.SendAsync(system.Request(HttpMethod.Post, "api/commands/payments.charge", null,
            Json("""{"amount":1,"currency":"EUR","customerId":"c"}""")), TestContext.Current.CancellationToken);
        using var badToken = await system.Http.SendAsync(system.Request(HttpMethod.Get, "api/commands", "eyJhbGciOiJIUzI1NiJ9.e30.bad"),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, wrongSecret.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownClient.StatusCode);
        Assert.Equal(await wrongSecret.Content.ReadAsStringAsync(TestContext.Current.CancellationToken),
            await unknownClient.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, badToken.StatusCode);
    }

    public static TheoryData<string, string, string?, int> BadRequests => new()
    {
        { "payments.charge", """{"amount":-1,"currency":"EUR","customerId":"c"}""", "application/json", 400 },
        { "payments.charge", """{"amount":1,"currency":"XXX1","customerId":"c"}""", "application/json", 400 },
        { "payments.charge", """{"amount":1,"currency":"EUR"}""", "application/json", 400 },
        { "payments.charge", """{"amount":1,""", "application/json", 400 },
        { "payments.charge", """{"amount":1,"currency":"EUR","customerId":"c"}""", "text/plain", 415 },
        { "notifications.send", """{"channel":"pigeon","to":"x","body":"b"}""", "application/json", 400 },
        { "does.not.exist", """{}""", "application/json", 404 },
        { "payments.charge", "{\"amount\":1,\"currency\":\"EUR\",\"customerId\":\"" + new string('x', 70_000) + "\"}", "application/json", 413 },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequests_GetProblemDetails_AndLeaveNothingBehind(string type, string body, string? contentType, int expected)
    {
        var tenant = "tenant-bad-" + Guid.NewGuid().ToString("N")[..8];
        var token = await system.TokenAsync(tenant);
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = contentType is null ? null : new global::System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        using var request = system.Request(HttpMethod.Post, $"api/commands/{type}", token, content);
        request.Headers.Add("Idempotency-Key", "bad-" + Guid.NewGuid().ToString("N"));

        using var response = await system.Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(expected, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await system.CountAsync("SELECT count(*) FROM commands WHERE tenant = @t", ("t", tenant)));
        Assert.Equal(0, await system.CountAsync("SELECT count(*) FROM idempotency_keys WHERE tenant = @t", ("t", tenant)));
        Assert.Equal(0, await system.CountAsync("SELECT count(*) FROM outbox WHERE headers->>'Messaging-Tenant' = @t", ("t", tenant)));
    }
}
