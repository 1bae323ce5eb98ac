using System.Text.Json;
using Messaging.Contracts.Callbacks;
using Messaging.Store.Outbox;
using Npgsql;

namespace Messaging.Store.Tests.Outbox;

/// <summary>Completion callbacks as the ledger queues them: with the terminal status, in the same statement, once per transition.</summary>
public sealed partial class CommandLedgerTests
{
    private const string CallbackUrl = "https://hooks.example.com/done";

    public static TheoryData<string> TerminalWrites => ["Succeeded", "Failed", "Expired", "DeadLettered", "Cancelled"];

    [Theory]
    [MemberData(nameof(TerminalWrites))]
    public async Task ATerminalStatus_OfACommandWithACallback_QueuesOneDelivery_WithItsStatusDocument(string status)
    {
        var id = await AcceptAsync(CallbackUrl);

        Assert.True(await FinishAsync(id, status, Now.AddSeconds(3)));

        var delivery = Assert.Single(await DeliveriesAsync(id));
        Assert.Equal(CallbackEventTypes.For(Enum.Parse<Contracts.Commands.CommandStatus>(status)), delivery.Message.EventType);
        Assert.Equal((id, CallbackUrl, "client-a", "tenant-a"), (delivery.Message.SubjectCommandId, delivery.Message.Url, delivery.Message.ClientId,
            delivery.Message.Tenant));
        Assert.Equal(Now.AddSeconds(3), delivery.Message.OccurredAt);
        var data = delivery.Message.Data;
        Assert.Equal((id.ToString(), "payments.charge", status), (data.GetProperty("id").GetString(), data.GetProperty("type").GetString(),
            data.GetProperty("status").GetString()));
        Assert.Equal(Now, data.GetProperty("createdAt").GetDateTimeOffset());
        Assert.Equal(Now.AddMinutes(5), data.GetProperty("deadline").GetDateTimeOffset());
        Assert.Equal(status == "Succeeded", data.TryGetProperty("result", out _));
        Assert.Equal(status != "Succeeded", data.TryGetProperty("error", out _));
        Assert.False(data.TryGetProperty("callback", out _));

        // Its own row: Accepted, pointing at its subject, no callback of its own, deadline past a day of retries.
        Assert.Equal(("Accepted", id, true), (delivery.Status, delivery.CallbackOf, delivery.CallbackUrl is null));
        Assert.Equal(Now.AddSeconds(3) + CommandLedger.CallbackDeliveryDeadline, delivery.Deadline);
        Assert.Equal(delivery.Id, delivery.Message.CommandId);
        Assert.Equal(7, delivery.Id.Version);
        Assert.Equal(("callbacks.deliver", "tenant-a", "client-a", "1"), (delivery.Headers["Messaging-Command-Type"], delivery.Headers["Messaging-Tenant"],
            delivery.Headers["Messaging-Client"], delivery.Headers["Messaging-Attempt"]));
        Assert.Equal(("Pending", 0), await CallbackStateAsync(id));
    }

    [Theory]
    [MemberData(nameof(TerminalWrites))]
    public async Task ATerminalStatus_OfACommandWithoutACallback_QueuesNothing(string status)
    {
        var id = await AcceptAsync(callbackUrl: null);

        Assert.True(await FinishAsync(id, status, Now));

        Assert.Empty(await DeliveriesAsync(id));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM outbox WHERE destination = 'callbacks.deliver'"));
    }

    [Fact]
    public async Task AWriteThatDoesNotApply_QueuesNothing_NorDoesADeadLetterTakingANewReason()
    {
        var completed = await AcceptAsync(CallbackUrl);
        var deadLettered = await AcceptAsync(CallbackUrl);
        Assert.True(await FinishAsync(completed, "Succeeded", Now));
        Assert.True(await FinishAsync(deadLettered, "DeadLettered", Now));

        Assert.False(await FinishAsync(completed, "Failed", Now.AddSeconds(1)));
        Assert.False(await FinishAsync(completed, "Cancelled", Now.AddSeconds(1)));
        Assert.True(await FinishAsync(deadLettered, "DeadLettered", Now.AddSeconds(1)));

        Assert.Single(await DeliveriesAsync(completed));
        Assert.Single(await DeliveriesAsync(deadLettered));
    }

    [Fact]
    public async Task ADelivery_NeverProducesACallback_AndShowsItsAttemptsAndItsEndOnItsSubject()
    {
        var subject = await AcceptAsync(CallbackUrl);
        Assert.True(await FinishAsync(subject, "Succeeded", Now));
        var delivery = Assert.Single(await DeliveriesAsync(subject)).Id;

        Assert.Equal(1, await CommandLedger.StartAttemptAsync(DataSource, delivery, 1, Now.AddSeconds(1), Ct));
        Assert.True(await InTransactionAsync(tx => CommandLedger.ScheduleAsync(tx, delivery, "tenant-a", 1, "provider_unavailable",
            "The callbacks provider failed (unexpected status 500).", failed: true, Now.AddSeconds(1), Ct)));
        Assert.Equal(("Delivering", 1), await CallbackStateAsync(subject));
        Assert.Equal("The callbacks provider failed (unexpected status 500).",
            await ScalarAsync<string>($"SELECT callback_last_error FROM commands WHERE id = '{subject}'"));

        // A deferral (no attempt made) leaves the subject's callback as it is.
        Assert.True(await InTransactionAsync(tx => CommandLedger.ScheduleAsync(tx, delivery, "tenant-a", 1, "deferred", "busy", failed: false,
            Now.AddSeconds(2), Ct)));
        Assert.Equal(("Delivering", 1), await CallbackStateAsync(subject));

        Assert.Equal(2, await CommandLedger.StartAttemptAsync(DataSource, delivery, 2, Now.AddSeconds(5), Ct));
        Assert.True(await CommandLedger.CompleteAsync(DataSource, delivery, succeeded: true, """{"status":200}""", null, null, Now.AddSeconds(5), Ct));

        Assert.Equal(("Delivered", 2), await CallbackStateAsync(subject));
        Assert.True(await ScalarAsync<bool>($"SELECT callback_last_error IS NULL FROM commands WHERE id = '{subject}'"));
        Assert.Equal(("Succeeded", 1L), ((await ReadAsync(subject)).Status,
            await ScalarAsync<long>("SELECT count(*) FROM commands WHERE type = 'callbacks.deliver'")));
        Assert.False(await CommandLedger.CancelAsync(DataSource, delivery, "tenant-a", Now.AddSeconds(6), Ct));
    }

    [Fact]
    public async Task ARedrivenCommandThatEndsAgain_QueuesASecondDeliveryWithANewId_AndAnOlderDeliveryNoLongerShows()
    {
        var subject = await AcceptAsync(CallbackUrl);
        Assert.True(await FinishAsync(subject, "DeadLettered", Now));
        var first = Assert.Single(await DeliveriesAsync(subject)).Id;
        await RedriveAsync(subject, Now.AddMinutes(1));
        Assert.True(await FinishAsync(subject, "Succeeded", Now.AddMinutes(2)));

        var deliveries = await DeliveriesAsync(subject);
        Assert.Equal(2, deliveries.Count);
        var second = deliveries.Single(d => d.Id != first);
        Assert.True(second.Id.CompareTo(first) > 0);
        Assert.Equal((CallbackEventTypes.DeadLettered, CallbackEventTypes.Succeeded),
            (deliveries.Single(d => d.Id == first).Message.EventType, second.Message.EventType));

        // The first event's delivery failing for good now says nothing about the subject's latest event.
        Assert.True(await InTransactionAsync(tx => CommandLedger.DeadLetterAsync(tx, first, "retries spent", Now.AddMinutes(3), Ct)));
        Assert.Equal(("Pending", 0), await CallbackStateAsync(subject));

        // The second's dead letter shows, and its redrive makes it Pending again.
        Assert.True(await InTransactionAsync(tx => CommandLedger.DeadLetterAsync(tx, second.Id, "retries spent", Now.AddMinutes(4), Ct)));
        Assert.Equal(("DeadLettered", 0), await CallbackStateAsync(subject));
        await RedriveAsync(second.Id, Now.AddMinutes(5));
        Assert.Equal(("Pending", 0), await CallbackStateAsync(subject));
        Assert.Equal(2, (await DeliveriesAsync(subject)).Count);
    }

    private async Task<Guid> AcceptAsync(string? callbackUrl)
    {
        var id = Guid.CreateVersion7();
        await InTransactionAsync(tx => CommandLedger.InsertCommandAsync(tx,
            new CommandRow(id, "tenant-a", "client-a", "payments.charge", "{}", null, Now.AddMinutes(5), Now, CallbackUrl: callbackUrl), Ct));
        return id;
    }

    private Task<bool> FinishAsync(Guid id, string status, DateTimeOffset at) => status switch
    {
        "Succeeded" => CommandLedger.CompleteAsync(DataSource, id, succeeded: true, """{"charge":"ch_1"}""", null, null, at, Ct),
        "Failed" => CommandLedger.CompleteAsync(DataSource, id, succeeded: false, null, "card_declined", "declined", at, Ct),
        "Expired" => CommandLedger.ExpireAsync(DataSource, id, "deadline_exceeded", "too late", at, Ct),
        "DeadLettered" => InTransactionAsync(tx => CommandLedger.DeadLetterAsync(tx, id, "retries exhausted", at, Ct)),
        "Cancelled" => CommandLedger.CancelAsync(DataSource, id, "tenant-a", at, Ct),
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    private async Task RedriveAsync(Guid id, DateTimeOffset at)
    {
        await using var connection = await DataSource.OpenConnectionAsync(Ct);
        await using var batch = new NpgsqlBatch(connection);
        CommandLedger.AddRedrive(batch, id, at.AddHours(1), at);
        await batch.ExecuteNonQueryAsync(Ct);
    }

    private async Task<(string? State, int Attempts)> CallbackStateAsync(Guid id)
    {
        await using var command = DataSource.CreateCommand("SELECT callback_state, callback_attempts FROM commands WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        return (reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt32(1));
    }

    private async Task<List<QueuedDelivery>> DeliveriesAsync(Guid subject)
    {
        await using var command = DataSource.CreateCommand(
            """
            SELECT c.id, c.status, c.callback_of, c.callback_url, c.deadline, o.body::text, o.headers::text
            FROM commands c JOIN outbox o ON o.command_id = c.id AND o.destination = 'callbacks.deliver'
            WHERE c.callback_of = @subject AND c.type = 'callbacks.deliver'
            ORDER BY c.id
            """);
        command.Parameters.AddWithValue("subject", subject);
        var deliveries = new List<QueuedDelivery>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            deliveries.Add(new QueuedDelivery(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4),
                JsonSerializer.Deserialize<DeliverCallback>(reader.GetString(5), CommandRows.StoredJson)!,
                JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(6))!));
        }

        return deliveries;
    }

    private sealed record QueuedDelivery(Guid Id, string Status, Guid CallbackOf, string? CallbackUrl, DateTimeOffset Deadline, DeliverCallback Message,
        Dictionary<string, string> Headers);
}
