using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Client.Tests;

/// <summary><see cref="MessagingClient.SendBatchAsync"/> against <see cref="StubGateway"/>: the body it sends, the keys it keeps over retries, what it reads and how it fails.</summary>
public sealed class BatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly CommandBatchItem[] Items =
    [
        CommandBatchItem.For(new PaymentsCharge(12.5m, "EUR", "cus_1"), new SendOptions { IdempotencyKey = "order-1" }),
        CommandBatchItem.FromJson("notifications.send", JsonDocument.Parse("""{"channel":"email","to":"a@example.org","body":"Hi"}""").RootElement,
            new SendOptions { NotBefore = new DateTimeOffset(2030, 1, 2, 10, 0, 0, TimeSpan.FromHours(1)), Timeout = TimeSpan.FromMinutes(2) }),
        CommandBatchItem.For(new PaymentsCharge(3m, "USD", "cus_2")),
    ];

    [Fact]
    public async Task SendBatch_PostsEveryItem_WithItsOwnKeyOrANewOne_AndReadsTheAnswersInOrder()
    {
        var bodies = new List<JsonElement>();
        var gateway = Answering(bodies, _ => Accepted(replayed: [false, false, true]));

        var result = await gateway.CreateClient().SendBatchAsync(Items, Ct);

        var body = Assert.Single(bodies);
        var items = body.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["items"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(3, items.Count);
        Assert.Equal(["type", "body", "idempotencyKey"], items[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal("payments.charge", items[0].GetProperty("type").GetString());
        Assert.Equal(12.5m, items[0].GetProperty("body").GetProperty("amount").GetDecimal());
        Assert.Equal("order-1", items[0].GetProperty("idempotencyKey").GetString());
        Assert.Equal("notifications.send", items[1].GetProperty("type").GetString());
        Assert.Equal("a@example.org", items[1].GetProperty("body").GetProperty("to").GetString());
        Assert.Equal("2030-01-02T09:00:00Z", items[1].GetProperty("notBefore").GetString());
        Assert.Equal(120, items[1].GetProperty("timeout").GetInt32());
        var made = new[] { items[1], items[2] }.Select(i => i.GetProperty("idempotencyKey").GetString()!).ToList();
        Assert.All(made, key => Assert.Matches("^[0-9a-f]{32}$", key));
        Assert.NotEqual(made[0], made[1]);

        Assert.Equal([Guid(1), Guid(2), Guid(3)], result.Items.Select(i => i.Id));
        Assert.Equal(["order-1", .. made], result.Items.Select(i => i.IdempotencyKey));
        Assert.Equal([false, false, true], result.Items.Select(i => i.Replayed));
        Assert.Equal([CommandStatus.Accepted, CommandStatus.Scheduled, CommandStatus.Accepted], result.Items.Select(i => i.Status));
        Assert.Equal("outbox", result.Items[0].AcceptedVia);
    }

    [Fact]
    public async Task SendBatch_Answered503ThenAccepted_RetriesWithTheSameKeys_AndTheNextCallMakesNewOnes()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var bodies = new List<JsonElement>();
        var gateway = Answering(bodies, attempt => attempt % 2 == 1 ? StubGateway.Problem(HttpStatusCode.ServiceUnavailable, "Service unavailable") : Accepted(), time);
        var client = gateway.CreateClient();

        foreach (var _ in new[] { 1, 2 })
        {
            var send = client.SendBatchAsync(Items, Ct);
            for (var i = 0; i < 200 && !send.IsCompleted; i++)
            {
                await Task.Delay(5, Ct);
                time.Advance(TimeSpan.FromMilliseconds(500));
            }

            await send;
        }

        var keys = bodies.Select(b => b.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("idempotencyKey").GetString()).ToList()).ToList();
        Assert.Equal(4, keys.Count);
        Assert.Equal(keys[0], keys[1]);
        Assert.Equal(keys[2], keys[3]);
        Assert.Equal("order-1", keys[2][0]);
        Assert.NotEqual(keys[0][1], keys[2][1]);
        Assert.NotEqual(keys[0][2], keys[2][2]);
    }

    [Fact]
    public async Task SendBatch_Refused400_FailsWithTheFailedItemsAndTheirErrors_WithoutARetry()
    {
        var gateway = Answering([], _ => StubGateway.Json(HttpStatusCode.BadRequest, """
            {"title":"Invalid batch items","status":400,"detail":"Nothing of the batch was stored.",
             "errors":{"items[0].body.amount":["The amount must be greater than 0."],"items[2].type":["There is no command type 'x'."]},
             "failedItems":[0,2],"traceId":"abc"}
            """, "application/problem+json"));

        var error = await Assert.ThrowsAsync<MessagingClientException>(() => gateway.CreateClient().SendBatchAsync(Items, Ct));

        Assert.Single(gateway.Calls);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal([0, 2], error.FailedItems);
        Assert.Equal(["The amount must be greater than 0."], error.Errors["items[0].body.amount"]);
        Assert.Equal(["There is no command type 'x'."], error.Errors["items[2].type"]);
        Assert.EndsWith("[items[2].type] There is no command type 'x'. [failedItems] 0, 2", error.Message, StringComparison.Ordinal);
        Assert.Null(error.CommandStatus);
    }

    [Theory]
    [InlineData(HttpStatusCode.Conflict, "Request in progress")]
    [InlineData(HttpStatusCode.UnprocessableEntity, "Idempotency key reused")]
    public async Task SendBatch_RefusedForAKey_FailsWithTheFailedItems_WithoutARetry(HttpStatusCode status, string title)
    {
        var gateway = Answering([], _ => StubGateway.Json(status,
            $$"""{"title":"{{title}}","status":{{(int)status}},"detail":"Nothing of the batch was stored.","failedItems":[1]}""", "application/problem+json"));

        var error = await Assert.ThrowsAsync<MessagingClientException>(() => gateway.CreateClient().SendBatchAsync(Items, Ct));

        Assert.Single(gateway.Calls);
        Assert.Equal((status, title), (error.StatusCode!.Value, error.ProblemTitle));
        Assert.Equal([1], error.FailedItems);
        Assert.Empty(error.Errors);
    }

    [Fact]
    public async Task SendBatch_OfNoItemOrTooMany_IsRefusedBeforeAnyCall()
    {
        var gateway = Answering([], _ => Accepted());
        var client = gateway.CreateClient();
        var tooMany = Enumerable.Range(0, MessagingClient.MaxBatchSize + 1).Select(_ => Items[2]).ToList();

        await Assert.ThrowsAsync<ArgumentException>(() => client.SendBatchAsync([], Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SendBatchAsync(tooMany, Ct));
        Assert.Empty(gateway.Calls);
    }

    [Fact]
    public void Items_WithAnInvalidKeyTimeoutOrBody_AreRefusedWhenMade()
    {
        var charge = new PaymentsCharge(1m, "EUR", "cus_1");

        Assert.Throws<ArgumentException>(() => CommandBatchItem.For(charge, new SendOptions { IdempotencyKey = "with space" }));
        Assert.Throws<ArgumentException>(() => CommandBatchItem.For(charge, new SendOptions { IdempotencyKey = new string('k', 256) }));
        Assert.Throws<ArgumentException>(() => CommandBatchItem.For(charge, new SendOptions { Timeout = TimeSpan.FromMilliseconds(1500) }));
        Assert.Throws<ArgumentException>(() => CommandBatchItem.FromJson("payments.charge", JsonDocument.Parse("[1]").RootElement));
        Assert.Equal("payments.charge", CommandBatchItem.For(charge, new SendOptions { IdempotencyKey = new string('k', 255) }).Type);
    }

    private static Guid Guid(int n) => System.Guid.Parse($"0199a3c0-0000-7000-8000-{n:D12}");

    /// <summary>A 202 for the three <see cref="Items"/>: the second one scheduled.</summary>
    private static HttpResponseMessage Accepted(bool[]? replayed = null)
    {
        var statuses = new[] { "Accepted", "Scheduled", "Accepted" };
        var items = Enumerable.Range(1, 3).Select(n =>
            $$"""{"id":"{{Guid(n)}}","type":"x","status":"{{statuses[n - 1]}}","statusUrl":"/api/commands/{{Guid(n)}}","acceptedVia":"outbox","replayed":{{(replayed?[n - 1] ?? false ? "true" : "false")}}}""");
        return StubGateway.Json(HttpStatusCode.Accepted, $$"""{"items":[{{string.Join(",", items)}}]}""");
    }

    /// <summary>A stub answering batch calls with <paramref name="answer"/> (by attempt, from 1), keeping each body sent.</summary>
    private static StubGateway Answering(List<JsonElement> bodies, Func<int, HttpResponseMessage> answer, FakeTimeProvider? time = null)
    {
        var attempts = 0;
        return new StubGateway(time ?? new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero)))
        {
            Api = (request, _) =>
            {
                Assert.Equal(HttpMethod.Post, request.Method);
                Assert.Equal("/api/commands/batch", request.RequestUri!.PathAndQuery);
                Assert.Equal("application/json", request.Content!.Headers.ContentType!.MediaType);
                Assert.False(request.Headers.Contains("Idempotency-Key"));
                using var body = JsonDocument.Parse(request.Content.ReadAsStream(TestContext.Current.CancellationToken));
                bodies.Add(body.RootElement.Clone());
                return answer(++attempts);
            },
        };
    }
}
