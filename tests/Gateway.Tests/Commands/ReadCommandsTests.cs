using System.Net;
using System.Text.Json;
using Messaging.Contracts.Callbacks;
using Npgsql;

namespace Messaging.Gateway.Tests.Commands;

public sealed class ReadCommandsTests(CommandsApiFixture fixture) : IClassFixture<CommandsApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Get_OwnNewCommand_ReturnsItsStatusWithoutResultOrError()
    {
        using var client = fixture.ClientFor("tenant-get");
        var id = await SubmitAsync(client, timeout: "600");

        using var response = await client.GetAsync($"/api/commands/{id}", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var view = json.RootElement;
        Assert.Equal(id, view.GetProperty("id").GetGuid());
        Assert.Equal("payments.charge", view.GetProperty("type").GetString());
        Assert.Equal("Accepted", view.GetProperty("status").GetString());
        Assert.Equal(0, view.GetProperty("attempts").GetInt32());
        Assert.Equal(fixture.Time.GetUtcNow(), view.GetProperty("createdAt").GetDateTimeOffset());
        Assert.Equal(fixture.Time.GetUtcNow(), view.GetProperty("updatedAt").GetDateTimeOffset());
        Assert.Equal(fixture.Time.GetUtcNow().AddSeconds(600), view.GetProperty("deadline").GetDateTimeOffset());
        Assert.False(view.TryGetProperty("result", out _));
        Assert.False(view.TryGetProperty("error", out _));
    }

    [Fact]
    public async Task Get_FinishedCommand_ShowsResultErrorAndAttempts()
    {
        using var client = fixture.ClientFor("tenant-get-finished");
        var id = await SubmitAsync(client);
        await ExecuteAsync(
            "UPDATE commands SET status = 'Failed', attempts = 2, result = '{\"providerId\":\"ch_1\"}', error_code = 'card_declined', error_message = 'The card was declined.' WHERE id = @id",
            id);

        using var response = await client.GetAsync($"/api/commands/{id}", Ct);

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var view = json.RootElement;
        Assert.Equal("Failed", view.GetProperty("status").GetString());
        Assert.Equal(2, view.GetProperty("attempts").GetInt32());
        Assert.Equal("ch_1", view.GetProperty("result").GetProperty("providerId").GetString());
        Assert.Equal("card_declined", view.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("The card was declined.", view.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Get_OtherTenantsUnknownAndMalformedIds_AreIndistinguishable404s()
    {
        using var owner = fixture.ClientFor("tenant-owner");
        using var other = fixture.ClientFor("tenant-other");
        var id = await SubmitAsync(owner);

        using var othersCommand = await other.GetAsync($"/api/commands/{id}", Ct);
        using var unknown = await other.GetAsync($"/api/commands/{Guid.NewGuid()}", Ct);
        using var malformed = await other.GetAsync("/api/commands/not-a-guid", Ct);

        var bodies = new List<string>();
        foreach (var response in new[] { othersCommand, unknown, malformed })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            bodies.Add(string.Join("|", problem.RootElement.EnumerateObject().Where(p => p.Name != "traceId").Select(p => $"{p.Name}={p.Value}")));
        }

        Assert.Single(bodies.Distinct());
    }

    [Fact]
    public async Task Get_WithoutToken_Returns401()
    {
        using var anonymous = fixture.Factory.CreateClient();

        using var response = await anonymous.GetAsync($"/api/commands/{Guid.NewGuid()}", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task List_ShowsOnlyTheCallersTenant()
    {
        using var a = fixture.ClientFor("tenant-list-a");
        using var b = fixture.ClientFor("tenant-list-b");
        var ofA = await SubmitAsync(a);
        var ofB = await SubmitAsync(b);

        var seenByB = await ListIdsAsync(b, "");

        Assert.Equal([ofB], seenByB);
        Assert.DoesNotContain(ofA, seenByB);
    }

    [Fact]
    public async Task List_PagesNewestFirstWithOpaqueCursor()
    {
        using var client = fixture.ClientFor("tenant-pages");
        var created = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            created.Add(await SubmitAsync(client));
            fixture.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var pages = await ReadAllPagesAsync(client, "limit=2");

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(Enumerable.Reverse(created), pages.SelectMany(p => p));
    }

    [Fact]
    public async Task List_PagesCorrectlyWhenCommandsShareTheirCreationTime()
    {
        using var client = fixture.ClientFor("tenant-same-instant");
        var created = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            created.Add(await SubmitAsync(client));
        }

        var pages = await ReadAllPagesAsync(client, "limit=2");

        var seen = pages.SelectMany(p => p).ToList();
        Assert.Equal(5, seen.Count);
        Assert.Equal(created.Order(), seen.Order());
        // Ties on created_at are broken by id, in PostgreSQL's uuid order (bytewise, as the text form sorts).
        Assert.Equal(seen.Select(g => g.ToString()).OrderDescending(StringComparer.Ordinal), seen.Select(g => g.ToString()));
    }

    [Fact]
    public async Task List_DefaultsToTwentyItems()
    {
        using var client = fixture.ClientFor("tenant-default-limit");
        for (var i = 0; i < 21; i++)
        {
            await SubmitAsync(client);
        }

        using var json = await GetJsonAsync(client, "/api/commands");

        Assert.Equal(20, json.RootElement.GetProperty("items").GetArrayLength());
        Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("nextCursor").ValueKind);
    }

    [Fact]
    public async Task List_FiltersByStatusAndType()
    {
        using var client = fixture.ClientFor("tenant-filters");
        var charge = await SubmitAsync(client);
        var failedCharge = await SubmitAsync(client);
        var notification = await SubmitAsync(client, "notifications.send", CommandRequestsFor.Email);
        await ExecuteAsync("UPDATE commands SET status = 'Failed' WHERE id = @id", failedCharge);

        Assert.Equal([failedCharge], await ListIdsAsync(client, "status=Failed"));
        Assert.Equal([notification], await ListIdsAsync(client, "type=notifications.send"));
        Assert.Equal([charge], await ListIdsAsync(client, "status=accepted&type=payments.charge"));
        Assert.Empty(await ListIdsAsync(client, "status=Succeeded"));
    }

    [Fact]
    public async Task List_LeavesOutCallbackDeliveries_UnlessAskedForByType()
    {
        using var client = fixture.ClientFor("tenant-deliveries");
        var charge = await SubmitAsync(client);
        var delivery = Guid.CreateVersion7();
        await using (var connection = await fixture.OpenDatabaseAsync())
        {
            await using var insert = new NpgsqlCommand(
                """
                INSERT INTO commands (id, tenant, client_id, type, status, payload, deadline, created_at, updated_at, callback_of)
                VALUES (@id, 'tenant-deliveries', 'cli', @type, 'Accepted', '{}', now() + interval '25 hours', now(), now(), @subject)
                """, connection);
            insert.Parameters.AddWithValue("id", delivery);
            insert.Parameters.AddWithValue("type", CallbackEventTypes.DeliveryTypeName);
            insert.Parameters.AddWithValue("subject", charge);
            Assert.Equal(1, await insert.ExecuteNonQueryAsync(Ct));
        }

        Assert.Equal([charge], await ListIdsAsync(client, ""));
        Assert.Equal([charge], await ListIdsAsync(client, "status=Accepted"));
        Assert.Equal([delivery], await ListIdsAsync(client, "type=" + CallbackEventTypes.DeliveryTypeName));
        Assert.Equal([delivery], await ListIdsAsync(client, "status=Accepted&type=" + CallbackEventTypes.DeliveryTypeName));
    }

    [Theory]
    [InlineData("status=Bogus", "status")]
    [InlineData("status=1", "status")]
    [InlineData("type=payments.refund", "type")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("cursor=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "cursor")] // well-formed, but version 0
    public async Task List_WithInvalidQuery_Returns400ValidationProblem(string query, string field)
    {
        using var client = fixture.ClientFor("tenant-bad-query");

        using var response = await client.GetAsync($"/api/commands?{query}", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _));
    }

    private async Task<Guid> SubmitAsync(HttpClient client, string type = "payments.charge", string body = CommandRequestsFor.Charge, string? timeout = null)
    {
        using var response = await client.SendAsync(CommandRequestsFor.Post(type, body, timeout: timeout), Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return json.RootElement.GetProperty("id").GetGuid();
    }

    private static async Task<JsonDocument> GetJsonAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
    }

    private static async Task<List<Guid>> ListIdsAsync(HttpClient client, string query)
    {
        using var json = await GetJsonAsync(client, $"/api/commands?{query}");
        return json.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToList();
    }

    private static async Task<List<List<Guid>>> ReadAllPagesAsync(HttpClient client, string query)
    {
        var pages = new List<List<Guid>>();
        string? cursor = null;
        do
        {
            using var json = await GetJsonAsync(client, $"/api/commands?{query}" + (cursor is null ? "" : $"&cursor={cursor}"));
            pages.Add(json.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToList());
            cursor = json.RootElement.GetProperty("nextCursor").GetString();
            Assert.True(pages.Count < 10, "the cursor does not advance");
        }
        while (cursor is not null);

        return pages;
    }

    private async Task ExecuteAsync(string sql, Guid id)
    {
        await using var connection = await fixture.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
    }
}
