using System.Net;
using System.Text;

namespace Messaging.Gateway.Tests.Commands;

/// <summary>
/// The accept chain's second link and the degraded reads, with a real PostgreSQL, RabbitMQ and Redis: the
/// gateway's PostgreSQL is cut at its TCP proxy, RabbitMQ stays up.
/// </summary>
public sealed class DirectPublishFallbackTests(FallbackGateway fixture) : IClassFixture<FallbackGateway>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Submit_WhenPostgresIsDown_IsAcceptedViaDirectPublishWithTheRelayHeaders()
    {
        using var client = TestTokens.ClientFor(fixture.Factory, "tenant-direct", clientId: "client-direct");
        fixture.Postgres.Cut();
        try
        {
            using var response = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, timeout: "600"), Ct);

            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            FallbackGateway.AssertNoLeaks(text);
            var body = await FallbackGateway.JsonAsync(response);
            Assert.Equal("direct", body.GetProperty("acceptedVia").GetString());
            Assert.Equal("Accepted", body.GetProperty("status").GetString());
            var id = body.GetProperty("id").GetGuid();
            Assert.Equal($"/api/commands/{id}", response.Headers.Location?.OriginalString);

            // Confirmed by the broker before the 202: the message is in the queue now.
            var message = Assert.Single(await fixture.DrainAsync("payments.charge"), m => m.BasicProperties.MessageId == id.ToString());
            var headers = message.BasicProperties.Headers!;
            Assert.Equal("tenant-direct", FallbackGateway.HeaderText(headers, "Messaging-Tenant"));
            Assert.Equal("client-direct", FallbackGateway.HeaderText(headers, "Messaging-Client"));
            Assert.Equal("payments.charge", FallbackGateway.HeaderText(headers, "Messaging-Command-Type"));
            Assert.Equal("1", FallbackGateway.HeaderText(headers, "Messaging-Attempt"));
            Assert.Equal("direct", FallbackGateway.HeaderText(headers, "Messaging-Accepted-Via"));
            Assert.StartsWith("v1.", FallbackGateway.HeaderText(headers, "Messaging-Signature"), StringComparison.Ordinal);
            var deadline = DateTimeOffset.Parse(FallbackGateway.HeaderText(headers, "Messaging-Deadline")!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(deadline - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(500), TimeSpan.FromSeconds(601));
            Assert.True(message.BasicProperties.Persistent);
            var wire = Encoding.UTF8.GetString(message.Body.Span);
            Assert.Contains(id.ToString(), wire, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("cus_123", wire, StringComparison.Ordinal);
        }
        finally
        {
            fixture.Postgres.Restore();
        }
    }

    [Fact]
    public async Task NotBeforeCallbacksAndBatches_WhenPostgresIsDown_Are503_AndNothingIsPublished()
    {
        // A message on the queue would run at once (no Not-Before), without its callback (queued with the terminal status, on the
        // row the direct path does not write) and one by one (no all-or-none): no direct publish for them.
        using var client = fixture.ClientFor(FallbackGateway.CallbackTenant);
        using var scheduled = CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge);
        scheduled.Headers.TryAddWithoutValidation("Not-Before", DateTimeOffset.UtcNow.AddHours(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        using var withCallback = CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge);
        withCallback.Headers.TryAddWithoutValidation("Callback-Url", "https://hooks.example.com/done");
        using var batch = new HttpRequestMessage(HttpMethod.Post, "/api/commands/batch")
        {
            Content = new StringContent($$"""{"items":[{"type":"payments.charge","body":{{CommandRequestsFor.Charge}}}]}""", Encoding.UTF8, "application/json"),
        };
        fixture.Postgres.Cut();
        try
        {
            using var scheduledResponse = await client.SendAsync(scheduled, Ct);
            using var callbackResponse = await client.SendAsync(withCallback, Ct);
            using var batchResponse = await client.SendAsync(batch, Ct);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, scheduledResponse.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, callbackResponse.StatusCode);
            Assert.True(callbackResponse.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, batchResponse.StatusCode);
            Assert.True(scheduledResponse.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            Assert.True(batchResponse.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            Assert.DoesNotContain(await fixture.DrainAsync("payments.charge"),
                m => FallbackGateway.HeaderText(m.BasicProperties.Headers!, "Messaging-Tenant") == FallbackGateway.CallbackTenant);
        }
        finally
        {
            fixture.Postgres.Restore();
        }
    }

    [Fact]
    public async Task Submit_SameKeyTwiceWhilePostgresIsDown_ReturnsTheSameCommandAndPublishesOnce()
    {
        using var client = fixture.ClientFor("tenant-direct-key");
        using var otherTenant = fixture.ClientFor("tenant-direct-key-other");
        var key = "key-" + Guid.NewGuid().ToString("N");
        fixture.Postgres.Cut();
        try
        {
            using var first = await client.SendAsync(CommandRequestsFor.Post("notifications.send", CommandRequestsFor.Email, key), Ct);
            using var second = await client.SendAsync(CommandRequestsFor.Post("notifications.send", CommandRequestsFor.Email, key), Ct);
            using var reused = await client.SendAsync(CommandRequestsFor.Post("notifications.send",
                CommandRequestsFor.Email.Replace("Hi Ada", "Bye Ada", StringComparison.Ordinal), key), Ct);
            using var sameKeyOtherTenant = await otherTenant.SendAsync(CommandRequestsFor.Post("notifications.send", CommandRequestsFor.Email, key), Ct);

            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
            var id = (await FallbackGateway.JsonAsync(first)).GetProperty("id").GetGuid();
            var replay = await FallbackGateway.JsonAsync(second);
            Assert.Equal(id, replay.GetProperty("id").GetGuid());
            Assert.Equal("direct", replay.GetProperty("acceptedVia").GetString());
            Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
            Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);

            // Keys are scoped per tenant: the other tenant's request is a command of its own.
            Assert.Equal(HttpStatusCode.Accepted, sameKeyOtherTenant.StatusCode);
            var otherId = (await FallbackGateway.JsonAsync(sameKeyOtherTenant)).GetProperty("id").GetGuid();
            Assert.NotEqual(id, otherId);

            var published = (await fixture.DrainAsync("notifications.send"))
                .Where(m => FallbackGateway.HeaderText(m.BasicProperties.Headers!, "Messaging-Idempotency-Key") == key)
                .ToList();
            Assert.Equal(2, published.Count);
            Assert.Single(published, m => m.BasicProperties.MessageId == id.ToString());
            Assert.Single(published, m => m.BasicProperties.MessageId == otherId.ToString());
        }
        finally
        {
            fixture.Postgres.Restore();
        }
    }

    [Fact]
    public async Task SubmitAgain_AfterPostgresReturns_ReplaysTheDirectCommandAndRecordsIt()
    {
        using var client = fixture.ClientFor("tenant-direct-reconcile");
        var key = "key-" + Guid.NewGuid().ToString("N");
        fixture.Postgres.Cut();
        Guid id;
        try
        {
            using var first = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, key), Ct);
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            id = (await FallbackGateway.JsonAsync(first)).GetProperty("id").GetGuid();
        }
        finally
        {
            await fixture.RestorePostgresAsync(client);
        }

        using var again = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, key), Ct);

        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal(id, (await FallbackGateway.JsonAsync(again)).GetProperty("id").GetGuid());
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        using var status = await client.GetAsync($"/api/commands/{id}", Ct);
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        Assert.False((await FallbackGateway.JsonAsync(status)).TryGetProperty("stale", out _));
    }

    [Fact]
    public async Task StatusRead_WhilePostgresIsDown_IsServedStaleFromTheCache_AndNeverToAnotherTenant()
    {
        using var owner = fixture.ClientFor("tenant-cache-a");
        using var intruder = fixture.ClientFor("tenant-cache-b");
        await fixture.RestorePostgresAsync(owner);
        using var submitted = await owner.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge), Ct);
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var accepted = await FallbackGateway.JsonAsync(submitted);
        Assert.Equal("outbox", accepted.GetProperty("acceptedVia").GetString());
        var id = accepted.GetProperty("id").GetGuid();
        using (var fresh = await owner.GetAsync($"/api/commands/{id}", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
            Assert.Null(fresh.Headers.Age);
        }

        using (var intruderFresh = await intruder.GetAsync($"/api/commands/{id}", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, intruderFresh.StatusCode);
        }

        fixture.Postgres.Cut();
        try
        {
            using var stale = await owner.GetAsync($"/api/commands/{id}", Ct);
            using var intruderRead = await intruder.GetAsync($"/api/commands/{id}", Ct);
            using var unknownRead = await intruder.GetAsync($"/api/commands/{Guid.NewGuid()}", Ct);

            Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
            var view = await FallbackGateway.JsonAsync(stale);
            Assert.True(view.GetProperty("stale").GetBoolean());
            Assert.Equal(id, view.GetProperty("id").GetGuid());
            Assert.Equal("Accepted", view.GetProperty("status").GetString());
            Assert.NotNull(stale.Headers.Age);
            Assert.Contains(stale.Headers.Warning, w => w.Code == 110);

            // Tenant B never gets A's cached entry: its answer is the one for any id while the database is down.
            var intruderText = await intruderRead.Content.ReadAsStringAsync(Ct);
            Assert.Equal(unknownRead.StatusCode, intruderRead.StatusCode);
            Assert.NotEqual(HttpStatusCode.OK, intruderRead.StatusCode);
            Assert.DoesNotContain(id.ToString(), intruderText, StringComparison.OrdinalIgnoreCase);
            FallbackGateway.AssertNoLeaks(intruderText);
        }
        finally
        {
            fixture.Postgres.Restore();
        }
    }

    [Fact]
    public async Task StatusRead_OfADirectCommandWhilePostgresIsDown_IsStaleAccepted()
    {
        using var client = fixture.ClientFor("tenant-direct-read");
        fixture.Postgres.Cut();
        try
        {
            using var submitted = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge), Ct);
            Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
            var id = (await FallbackGateway.JsonAsync(submitted)).GetProperty("id").GetGuid();

            using var read = await client.GetAsync($"/api/commands/{id}", Ct);

            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            var view = await FallbackGateway.JsonAsync(read);
            Assert.True(view.GetProperty("stale").GetBoolean());
            Assert.Equal("Accepted", view.GetProperty("status").GetString());
        }
        finally
        {
            fixture.Postgres.Restore();
        }
    }
}
