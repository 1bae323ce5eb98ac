using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests;

public sealed class DeclaredCommandTypeTests(DeclaredTypeSystem system) : IClassFixture<DeclaredTypeSystem>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<(HttpStatusCode Status, string? Id, JsonElement Body)> SubmitAsync(string token, string body)
    {
        using var request = system.Request(HttpMethod.Post, $"api/commands/{DeclaredTypeSettings.Type}", token, Json(body));
        using var response = await system.Http.SendAsync(request, Ct);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (response.StatusCode, response.StatusCode == HttpStatusCode.Accepted ? json.GetProperty("id").GetString() : null, json);
    }

    private async Task<JsonElement> CrmRequestsAsync(string idempotencyKey)
    {
        using var response = await system.Http.GetAsync(new Uri($"http://127.0.0.1:{system.CrmPort}/control/crm/requests?idempotencyKey={idempotencyKey}"), Ct);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    [Fact]
    public async Task ADeclaredType_IsExecutedWithTheDeclaredMethodEscapedPathHeadersAndBody_AndSucceedsWithTheAnswer()
    {
        var token = await system.TokenAsync("tenant-crm");
        const string body = """{"contactId":"a/b c","email":"jane@example.org","name":"Jane"}""";

        var (status, id, _) = await SubmitAsync(token, body);

        Assert.Equal(HttpStatusCode.Accepted, status);
        var command = await system.WaitForStatusAsync(token, id!, "Succeeded");
        var result = command.GetProperty("result");
        Assert.Equal("a/b c", result.GetProperty("id").GetString());
        Assert.Equal("jane@example.org", result.GetProperty("received").GetProperty("email").GetString());

        var request = Assert.Single((await CrmRequestsAsync(id!)).EnumerateArray());
        Assert.Equal("PUT", request.GetProperty("method").GetString());
        Assert.Equal("/v1/contacts/a%2Fb%20c", request.GetProperty("rawPath").GetString());
        var headers = request.GetProperty("headers");
        Assert.StartsWith("application/json", headers.GetProperty("contentType").GetString(), StringComparison.Ordinal);
        Assert.Equal(id, headers.GetProperty("idempotencyKey").GetString());
        Assert.Equal("Basic", headers.GetProperty("authorizationScheme").GetString());
        Assert.False(string.IsNullOrEmpty(headers.GetProperty("traceparent").GetString()));
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(body).RootElement, JsonDocument.Parse(request.GetProperty("body").GetString()!).RootElement));
        Assert.Equal(1, await system.Providers.EffectsForKeyAsync("crm", id!));
    }

    [Fact]
    public async Task ABodyTheSchemaRefuses_Is400WithAnErrorPerPath_AndNothingIsStored()
    {
        var token = await system.TokenAsync("tenant-crm-invalid");

        var (status, _, problem) = await SubmitAsync(token, """{"contactId":"c1","email":42,"phone":"+49"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("$.email", out _));
        Assert.True(errors.TryGetProperty("$.phone", out _));
        Assert.Equal(0L, await system.CountAsync("SELECT count(*) FROM commands WHERE tenant = @t", ("t", "tenant-crm-invalid")));
    }

    [Fact]
    public async Task AProviders4xx_EndsFailedProviderRejected_AfterOneCall()
    {
        var token = await system.TokenAsync("tenant-crm");

        var (_, id, _) = await SubmitAsync(token, """{"contactId":"rejected","email":"jane@example.org"}""");

        var command = await system.WaitForStatusAsync(token, id!, "Failed");
        Assert.Equal("provider_rejected", command.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("422", command.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, command.GetProperty("attempts").GetInt32());
        Assert.Single((await CrmRequestsAsync(id!)).EnumerateArray());
    }

    [Fact]
    public async Task AnOutage_PausesTheTypesEndpoint_AndEveryCommandSucceedsOnceAfterIt()
    {
        var token = await system.TokenAsync("tenant-crm-outage");
        var admin = await system.TokenAsync("tenant-crm-ops", "admin");
        await system.Providers.SetFaultsAsync("crm", new { outage = true });
        var ids = new List<string>();
        try
        {
            for (var i = 0; i < 12; i++)
            {
                var (status, id, _) = await SubmitAsync(token, $$"""{"contactId":"outage-{{i}}","email":"c{{i}}@example.org"}""");
                Assert.Equal(HttpStatusCode.Accepted, status);
                ids.Add(id!);
            }

            Assert.True(await SystemFixture.EventuallyAsync(async () => await EndpointStateAsync(admin) == "paused", TimeSpan.FromSeconds(60)),
                "the crm.contact.upsert endpoint did not show as paused");
        }
        finally
        {
            await system.Providers.ClearFaultsAsync();
        }

        foreach (var id in ids)
        {
            await system.WaitForStatusAsync(token, id, "Succeeded");
            Assert.Equal(1, await system.Providers.EffectsForKeyAsync("crm", id));
        }

        Assert.Equal(0L, await system.CountAsync("SELECT count(*) FROM dead_letters WHERE tenant = @t", ("t", "tenant-crm-outage")));
    }

    [Fact]
    public async Task A429WithRetryAfter_DefersTheCommand_ThenItSucceeds()
    {
        var token = await system.TokenAsync("tenant-crm-429");
        await system.Providers.SetFaultsAsync("crm", new { tooManyRequests = true, retryAfterSeconds = 2 });
        string? id;
        try
        {
            (_, id, _) = await SubmitAsync(token, """{"contactId":"busy","email":"jane@example.org"}""");

            // The provider answers the first call with 429: the command is scheduled again, not failed.
            Assert.True(await SystemFixture.EventuallyAsync(async () =>
                (await CrmRequestsAsync(id!)).EnumerateArray().Any(r => r.GetProperty("status").GetInt32() == 429), TimeSpan.FromSeconds(60)),
                "the provider was not called");
            Assert.True(await SystemFixture.EventuallyAsync(async () => await system.CommandStatusAsync(token, id!) == "Scheduled", TimeSpan.FromSeconds(30)),
                "the command was not scheduled after the 429");
        }
        finally
        {
            await system.Providers.ClearFaultsAsync();
        }

        var command = await system.WaitForStatusAsync(token, id!, "Succeeded");
        Assert.True(command.GetProperty("attempts").GetInt32() >= 2);
        Assert.Equal(1, await system.Providers.EffectsForKeyAsync("crm", id!));
    }

    private async Task<string?> EndpointStateAsync(string adminToken)
    {
        using var response = await system.Http.SendAsync(system.Request(HttpMethod.Get, "api/monitoring/overview", adminToken));
        var overview = await response.Content.ReadFromJsonAsync<JsonElement>();
        return overview.GetProperty("endpoints").EnumerateArray()
            .Where(e => e.GetProperty("name").GetString() == DeclaredTypeSettings.Type)
            .Select(e => e.GetProperty("state").GetString())
            .FirstOrDefault();
    }
}
