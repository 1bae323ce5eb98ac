using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Messaging.Gateway.Tests.Commands;

/// <summary><c>POST /api/commands/batch</c>: every item checked first, then all stored in one transaction or none.</summary>
public sealed class BatchSubmitTests(CommandsApiFixture fixture) : IClassFixture<CommandsApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonObject Item(string type, string body, string? key = null, string? notBefore = null, int? timeout = null)
    {
        var item = new JsonObject { ["type"] = type, ["body"] = JsonNode.Parse(body) };
        if (key is not null)
        {
            item["idempotencyKey"] = key;
        }

        if (notBefore is not null)
        {
            item["notBefore"] = notBefore;
        }

        if (timeout is not null)
        {
            item["timeout"] = timeout;
        }

        return item;
    }

    private static HttpRequestMessage Batch(params JsonObject[] items) => Raw(new JsonObject { ["items"] = new JsonArray(items) }.ToJsonString());

    private static HttpRequestMessage Raw(string json, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/commands/batch") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json)) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return request;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task Batch_StoresEveryItem_AndAnswersTheirIdsInOrder()
    {
        const string tenant = "tenant-batch";
        using var client = fixture.ClientFor(tenant);
        var later = fixture.Time.GetUtcNow().AddHours(3);

        using var response = await client.SendAsync(Batch(
            Item("payments.charge", CommandRequestsFor.Charge, timeout: 120),
            Item("notifications.send", CommandRequestsFor.Email, key: "batch-email"),
            Item("payments.charge", CommandRequestsFor.Charge, notBefore: later.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture))), Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var items = (await JsonAsync(response)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["payments.charge", "notifications.send", "payments.charge"], items.Select(i => i.GetProperty("type").GetString()));
        Assert.Equal(["Accepted", "Accepted", "Scheduled"], items.Select(i => i.GetProperty("status").GetString()));
        Assert.All(items, i => Assert.False(i.GetProperty("replayed").GetBoolean()));
        Assert.All(items, i => Assert.Equal($"/api/commands/{i.GetProperty("id").GetGuid()}", i.GetProperty("statusUrl").GetString()));

        await using var connection = await fixture.OpenDatabaseAsync();
        await using var select = new NpgsqlCommand(
            "SELECT c.id, c.type, c.status, c.deadline, c.idempotency_key, o.not_before FROM commands c JOIN outbox o ON o.command_id = c.id WHERE c.tenant = @t",
            connection);
        select.Parameters.AddWithValue("t", tenant);
        var rows = new Dictionary<Guid, (string Type, string Status, DateTimeOffset Deadline, string? Key, DateTimeOffset Due)>();
        await using (var reader = await select.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                rows[reader.GetGuid(0)] = (reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5));
            }
        }

        Assert.Equal(3, rows.Count);
        var now = fixture.Time.GetUtcNow();
        var (first, second, third) = (rows[items[0].GetProperty("id").GetGuid()], rows[items[1].GetProperty("id").GetGuid()], rows[items[2].GetProperty("id").GetGuid()]);
        Assert.Equal(now + TimeSpan.FromSeconds(120), first.Deadline);
        Assert.Equal("batch-email", second.Key);
        Assert.Equal(("Scheduled", later), (third.Status, third.Due));
        Assert.Equal(1, await fixture.CountAsync("idempotency_keys", $"tenant = '{tenant}' AND key = 'batch-email'"));
    }

    [Fact]
    public async Task Batch_WithInvalidItems_Returns400NamingEachFailingItem_AndStoresNothing()
    {
        const string tenant = "tenant-batch-invalid";
        using var client = fixture.ClientFor(tenant);

        using var response = await client.SendAsync(Batch(
            Item("payments.charge", CommandRequestsFor.Charge),
            Item("payments.charge", """{"amount":-1,"currency":"EUR","customerId":"cus_123"}"""),
            Item("no.such.type", "{}"),
            Item("notifications.send", CommandRequestsFor.Email, key: "k", notBefore: "tomorrow", timeout: 0),
            Item("notifications.send", CommandRequestsFor.Email, key: "k")), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await JsonAsync(response);
        Assert.Equal([1, 2, 3, 4], problem.GetProperty("failedItems").EnumerateArray().Select(e => e.GetInt32()));
        var errors = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("items[1].body.amount", errors);
        Assert.Contains("items[2].type", errors);
        Assert.Contains("items[3].notBefore", errors);
        Assert.Contains("items[3].timeout", errors);
        Assert.Contains("items[4].idempotencyKey", errors); // the same key as item 3
        Assert.DoesNotContain(errors, e => e.StartsWith("items[0]", StringComparison.Ordinal));
        Assert.Equal(0, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
        Assert.Equal(0, await fixture.CountAsync("outbox", $"headers->>'Messaging-Tenant' = '{tenant}'"));
    }

    [Theory]
    [InlineData("""{"items":[]}""")]
    [InlineData("""{}""")]
    [InlineData("""{"items":null}""")]
    public async Task Batch_WithNoItems_Returns400(string json)
    {
        using var client = fixture.ClientFor("tenant-batch-empty");

        using var response = await client.SendAsync(Raw(json), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await JsonAsync(response)).GetProperty("errors").TryGetProperty("items", out _));
    }

    [Theory]
    [InlineData("""{"items":[{"type":"payments.charge","body":{},"extra":1}]}""")]
    [InlineData("""{"items":[],"items2":[]}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"items":[{"type":"payments.charge","body":{},"timeout":"60"}]}""")]
    public async Task Batch_ThatIsNotABatch_Returns400InvalidJson(string json)
    {
        using var client = fixture.ClientFor("tenant-batch-json");

        using var response = await client.SendAsync(Raw(json), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Invalid JSON", (await JsonAsync(response)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task Batch_OfMoreThan100Items_Returns400_AndStoresNothing()
    {
        const string tenant = "tenant-batch-101";
        using var client = fixture.ClientFor(tenant);

        using var response = await client.SendAsync(Batch([.. Enumerable.Range(0, 101).Select(_ => Item("payments.charge", CommandRequestsFor.Charge))]), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
    }

    [Fact]
    public async Task Batch_LargerThan1MiB_Returns413_AndOtherMediaTypes415()
    {
        using var client = fixture.ClientFor("tenant-batch-size");
        var big = new string('a', 11_000);
        var email = $$"""{"channel":"email","to":"ada@example.com","subject":"Hello","body":"{{big}}"}""";

        using var tooLarge = await client.SendAsync(Batch([.. Enumerable.Range(0, 100).Select(_ => Item("notifications.send", email))]), Ct);
        using var text = await client.SendAsync(Raw("""{"items":[]}""", "text/plain"), Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
    }

    [Fact]
    public async Task Batch_ItemWhoseKeyWasUsedBefore_ReplaysItsFirstAnswer_AndTheOthersAreCreated()
    {
        const string tenant = "tenant-batch-replay";
        using var client = fixture.ClientFor(tenant);
        using var single = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "first-key"), Ct);
        var firstId = (await JsonAsync(single)).GetProperty("id").GetGuid();

        using var response = await client.SendAsync(Batch(
            Item("payments.charge", CommandRequestsFor.Charge, key: "first-key"),
            Item("payments.charge", CommandRequestsFor.Charge, key: "second-key")), Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var items = (await JsonAsync(response)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(firstId, items[0].GetProperty("id").GetGuid());
        Assert.True(items[0].GetProperty("replayed").GetBoolean());
        Assert.False(items[1].GetProperty("replayed").GetBoolean());
        Assert.Equal(2, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));

        // The whole batch again (a retry after a lost answer): both replay, nothing new.
        using var again = await client.SendAsync(Batch(
            Item("payments.charge", CommandRequestsFor.Charge, key: "first-key"),
            Item("payments.charge", CommandRequestsFor.Charge, key: "second-key")), Ct);
        var replayed = (await JsonAsync(again)).GetProperty("items").EnumerateArray().ToList();
        Assert.All(replayed, i => Assert.True(i.GetProperty("replayed").GetBoolean()));
        Assert.Equal(items.Select(i => i.GetProperty("id").GetGuid()), replayed.Select(i => i.GetProperty("id").GetGuid()));
        Assert.Equal(2, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
    }

    [Fact]
    public async Task Batch_WithAKeyUsedForAnotherRequest_Returns422NamingTheItem_AndStoresNothing()
    {
        const string tenant = "tenant-batch-reused";
        using var client = fixture.ClientFor(tenant);
        using var single = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "taken"), Ct);

        using var response = await client.SendAsync(Batch(
            Item("notifications.send", CommandRequestsFor.Email),
            Item("notifications.send", CommandRequestsFor.Email, key: "taken")), Ct);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal([1], (await JsonAsync(response)).GetProperty("failedItems").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(1, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
    }

    [Fact]
    public async Task Batch_WhoseWriteFailsForOneItem_StoresNoneOfThem()
    {
        // A trigger refuses one row of this tenant: the group-commit writer would store the others one by one; a
        // batch is one transaction, so none of it is stored.
        const string tenant = "tenant-batch-poison";
        await using (var connection = await fixture.OpenDatabaseAsync())
        {
            await using var trigger = new NpgsqlCommand(
                $"""
                CREATE OR REPLACE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.tenant = '{tenant}' AND NEW.payload->>'description' = 'poison' THEN RAISE EXCEPTION 'poison'; END IF;
                    RETURN NEW;
                END $$;
                CREATE OR REPLACE TRIGGER refuse_poison BEFORE INSERT ON commands FOR EACH ROW EXECUTE FUNCTION refuse_poison();
                """, connection);
            await trigger.ExecuteNonQueryAsync(Ct);
        }

        try
        {
            using var client = fixture.ClientFor(tenant);
            using var response = await client.SendAsync(Batch(
                Item("payments.charge", CommandRequestsFor.Charge),
                Item("payments.charge", CommandRequestsFor.Charge.Replace("Order 42", "poison", StringComparison.Ordinal)),
                Item("payments.charge", CommandRequestsFor.Charge)), Ct);

            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.DoesNotContain("poison", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            Assert.Equal(0, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
            Assert.Equal(0, await fixture.CountAsync("outbox", $"headers->>'Messaging-Tenant' = '{tenant}'"));
        }
        finally
        {
            await using var connection = await fixture.OpenDatabaseAsync();
            await using var drop = new NpgsqlCommand("DROP TRIGGER refuse_poison ON commands; DROP FUNCTION refuse_poison();", connection);
            await drop.ExecuteNonQueryAsync(Ct);
        }
    }

    [Fact]
    public async Task Batch_RouteIsNotATypeName_AndSingleSubmitsStillWork()
    {
        using var client = fixture.ClientFor("tenant-batch-route");

        using var single = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge), Ct);
        using var batchAsType = await client.SendAsync(CommandRequestsFor.Post("batch", CommandRequestsFor.Charge), Ct);

        Assert.Equal(HttpStatusCode.Accepted, single.StatusCode);
        Assert.Equal("Invalid JSON", (await JsonAsync(batchAsType)).GetProperty("title").GetString());
    }
}
