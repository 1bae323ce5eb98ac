using System.Net;
using System.Text.Json;
using Messaging.Testing.Harness;

namespace Messaging.Client.Tests;

/// <summary>Cancel, Not-Before and batches through the client, against the real Gateway (with Workers and FakeServices).</summary>
public sealed class LiveLifecycleTests(SystemFixture system)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NotBefore_ANearTime_IsScheduled_AndTheCommandRunsNoEarlier_WithItsDeadlineCountedFromIt()
    {
        var client = LiveGateway.CreateClient(system.GatewayUrl, await LiveGateway.CredentialsAsync(system, "tenant-client-not-before"));
        var notBefore = WholeMilliseconds(DateTimeOffset.UtcNow.AddSeconds(3));

        var accepted = await client.SendAsync(new PaymentsCharge(8m, "EUR", "cus_not_before"),
            new SendOptions { NotBefore = notBefore, Timeout = TimeSpan.FromMinutes(5) }, Ct);
        var waiting = await client.GetStatusAsync(accepted.Id, Ct);
        var final = await client.WaitForCompletionAsync(accepted.Id, TimeSpan.FromSeconds(60), cancellationToken: Ct);

        Assert.Equal(CommandStatus.Scheduled, accepted.Status);
        Assert.Equal(CommandStatus.Scheduled, waiting.Status);
        Assert.Equal(notBefore, waiting.NotBefore);
        Assert.Equal(notBefore + TimeSpan.FromMinutes(5), waiting.Deadline);
        Assert.Equal(CommandStatus.Succeeded, final.Status);
        Assert.True(final.UpdatedAt >= notBefore, $"it ended at {final.UpdatedAt:O}, before its Not-Before {notBefore:O}");
        Assert.Equal(notBefore, final.NotBefore);
    }

    [Fact]
    public async Task Cancel_OfAScheduledCommand_CancelsIt_AndCancellingAgainAnswersTheSame()
    {
        var client = LiveGateway.CreateClient(system.GatewayUrl, await LiveGateway.CredentialsAsync(system, "tenant-client-cancel"));
        var notBefore = WholeMilliseconds(DateTimeOffset.UtcNow.AddHours(1));
        var accepted = await client.SendAsync(new PaymentsCharge(9m, "EUR", "cus_cancel"), new SendOptions { NotBefore = notBefore }, Ct);

        var cancelled = await client.CancelAsync(accepted.Id, Ct);
        var again = await client.CancelAsync(accepted.Id, Ct);
        var read = await client.GetStatusAsync(accepted.Id, Ct);

        Assert.Equal(CommandStatus.Scheduled, accepted.Status);
        Assert.Equal((accepted.Id, CommandStatus.Cancelled, 0), (cancelled.Id, cancelled.Status, cancelled.Attempts));
        Assert.Equal("cancelled", cancelled.Error?.Code);
        Assert.Equal(notBefore, cancelled.NotBefore);
        Assert.Equal(cancelled, again);
        Assert.Equal(CommandStatus.Cancelled, read.Status);
    }

    [Fact]
    public async Task Cancel_OfAnEndedCommand_Fails409_WithItsStatus_AndOfAnUnknownOne404()
    {
        var client = LiveGateway.CreateClient(system.GatewayUrl, await LiveGateway.CredentialsAsync(system, "tenant-client-cancel-409"));
        var accepted = await client.SendAsync(new PaymentsCharge(4m, "EUR", "cus_cancel_late"), cancellationToken: Ct);
        Assert.Equal(CommandStatus.Succeeded, (await client.WaitForCompletionAsync(accepted.Id, TimeSpan.FromSeconds(60), cancellationToken: Ct)).Status);

        var ended = await Assert.ThrowsAsync<MessagingClientException>(() => client.CancelAsync(accepted.Id, Ct));
        var unknown = await Assert.ThrowsAsync<MessagingClientException>(() => client.CancelAsync(Guid.CreateVersion7(), Ct));

        Assert.Equal(HttpStatusCode.Conflict, ended.StatusCode);
        Assert.Equal(CommandStatus.Succeeded, ended.CommandStatus);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Null(unknown.CommandStatus);
        Assert.Equal(CommandStatus.Succeeded, (await client.GetStatusAsync(accepted.Id, Ct)).Status);
    }

    [Fact]
    public async Task SendBatch_RetriedAfterALostAnswer_GetsTheFirstAnswerAgain_AndEveryCommandIsStoredAndRunOnce()
    {
        const string tenant = "tenant-client-batch";
        var recorder = new AttemptRecorder((first, cancellationToken) => first.Content.ReadAsStringAsync(cancellationToken));
        var client = LiveGateway.CreateClient(system.GatewayUrl, await LiveGateway.CredentialsAsync(system, tenant), handler: () => recorder);
        var key = "client-batch-" + Guid.NewGuid().ToString("N");
        var later = WholeMilliseconds(DateTimeOffset.UtcNow.AddHours(1));

        var result = await client.SendBatchAsync(
        [
            CommandBatchItem.For(new PaymentsCharge(11m, "EUR", "cus_batch_1"), new SendOptions { IdempotencyKey = key }),
            CommandBatchItem.For(new NotificationsSend("email", "batch@example.org", "Later"), new SendOptions { NotBefore = later }),
            CommandBatchItem.FromJson("payments.charge", JsonDocument.Parse("""{"amount":12,"currency":"EUR","customerId":"cus_batch_2"}""").RootElement),
        ], Ct);

        using var first = JsonDocument.Parse(recorder.FirstAnswer!);
        var firstItems = first.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(firstItems.Select(i => i.GetProperty("id").GetGuid()), result.Items.Select(i => i.Id));
        Assert.All(firstItems, i => Assert.False(i.GetProperty("replayed").GetBoolean()));
        Assert.All(result.Items, i => Assert.True(i.Replayed));
        Assert.Equal(["payments.charge", "notifications.send", "payments.charge"], result.Items.Select(i => i.Type));
        Assert.Equal([CommandStatus.Accepted, CommandStatus.Scheduled, CommandStatus.Accepted], result.Items.Select(i => i.Status));
        Assert.Equal(key, result.Items[0].IdempotencyKey);
        Assert.Equal(3, result.Items.Select(i => i.IdempotencyKey).Distinct().Count());
        Assert.Equal(3, await system.CountAsync("SELECT count(*) FROM commands WHERE tenant = @tenant AND idempotency_key = ANY(@keys)",
            ("tenant", tenant), ("keys", result.Items.Select(i => i.IdempotencyKey).ToArray())));
        Assert.Equal(3, await system.CountAsync("SELECT count(*) FROM commands WHERE tenant = @tenant", ("tenant", tenant)));

        foreach (var charge in new[] { result.Items[0], result.Items[2] })
        {
            Assert.Equal(CommandStatus.Succeeded, (await client.WaitForCompletionAsync(charge.Id, TimeSpan.FromSeconds(60), cancellationToken: Ct)).Status);
            Assert.Equal(1, await system.Providers.EffectsForKeyAsync("payments", charge.Id.ToString()));
        }

        var scheduled = await client.GetStatusAsync(result.Items[1].Id, Ct);
        Assert.Equal((CommandStatus.Scheduled, later), (scheduled.Status, scheduled.NotBefore!.Value));
    }

    [Fact]
    public async Task SendBatch_WithInvalidItems_Fails400_NamingEachItem_AndStoresNone()
    {
        const string tenant = "tenant-client-batch-400";
        var client = LiveGateway.CreateClient(system.GatewayUrl, await LiveGateway.CredentialsAsync(system, tenant));
        var key = "client-batch-400-" + Guid.NewGuid().ToString("N");

        var error = await Assert.ThrowsAsync<MessagingClientException>(() => client.SendBatchAsync(
        [
            CommandBatchItem.For(new PaymentsCharge(1m, "EUR", "cus_ok"), new SendOptions { IdempotencyKey = key }),
            CommandBatchItem.For(new PaymentsCharge(-1m, "EUR", "cus_negative")),
            CommandBatchItem.FromJson("no.such-type", JsonDocument.Parse("{}").RootElement),
        ], Ct));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal([1, 2], error.FailedItems);
        Assert.Contains("items[1].body.amount", error.Errors.Keys);
        Assert.Contains("items[2].type", error.Errors.Keys);
        Assert.DoesNotContain(error.Errors.Keys, k => k.StartsWith("items[0]", StringComparison.Ordinal));
        Assert.Equal(0, await system.CountAsync("SELECT count(*) FROM commands WHERE tenant = @tenant", ("tenant", tenant)));
    }

    [Fact]
    public async Task SendBatch_WithAKeyUsedForAnotherRequest_Fails422_NamingTheItem_AndStoresNone()
    {
        const string tenant = "tenant-client-batch-422";
        var client = LiveGateway.CreateClient(system.GatewayUrl, await LiveGateway.CredentialsAsync(system, tenant));
        var used = "client-batch-422-" + Guid.NewGuid().ToString("N");
        await client.SendAsync(new PaymentsCharge(5m, "EUR", "cus_422"), new SendOptions { IdempotencyKey = used }, Ct);

        var error = await Assert.ThrowsAsync<MessagingClientException>(() => client.SendBatchAsync(
        [
            CommandBatchItem.For(new PaymentsCharge(2m, "EUR", "cus_new")),
            CommandBatchItem.For(new PaymentsCharge(6m, "EUR", "cus_422"), new SendOptions { IdempotencyKey = used }),
        ], Ct));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.StatusCode);
        Assert.Equal([1], error.FailedItems);
        Assert.Equal(1, await system.CountAsync("SELECT count(*) FROM commands WHERE tenant = @tenant", ("tenant", tenant)));
    }

    // The gateway keeps microseconds; whole milliseconds compare equal after the round trip.
    private static DateTimeOffset WholeMilliseconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
}
