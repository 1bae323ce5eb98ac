using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Messaging.Store.Outbox;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Messaging.Gateway.Tests.Commands;

public sealed class SubmitCommandTests(CommandsApiFixture fixture) : IClassFixture<CommandsApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Submit_ValidCharge_Returns202WithLocationAndAcceptedBody()
    {
        using var client = fixture.ClientFor("tenant-submit-shape");

        using var response = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge), Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var id = body.RootElement.GetProperty("id").GetGuid();
        Assert.Equal($"/api/commands/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("payments.charge", body.RootElement.GetProperty("type").GetString());
        Assert.Equal("Accepted", body.RootElement.GetProperty("status").GetString());
        Assert.Equal($"/api/commands/{id}", body.RootElement.GetProperty("statusUrl").GetString());
        Assert.Equal("outbox", body.RootElement.GetProperty("acceptedVia").GetString());
        Assert.Equal(5, body.RootElement.EnumerateObject().Count());
        Assert.False(response.Headers.Contains("Idempotent-Replayed"));
    }

    [Fact]
    public async Task Submit_ValidCharge_StoresCommandRowWithNormalisedPayloadAndTokenIdentity()
    {
        using var client = fixture.ClientFor("tenant-submit-row", clientId: "client-row");

        var id = await SubmitAsync(client, "payments.charge", CommandRequestsFor.Charge);

        await using var connection = await fixture.OpenDatabaseAsync();
        await using var select = new NpgsqlCommand(
            "SELECT tenant, client_id, type, status, attempts, payload::text, idempotency_key, deadline, created_at, updated_at FROM commands WHERE id = @id",
            connection);
        select.Parameters.AddWithValue("id", id);
        await using var reader = await select.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal("tenant-submit-row", reader.GetString(0));
        Assert.Equal("client-row", reader.GetString(1));
        Assert.Equal("payments.charge", reader.GetString(2));
        Assert.Equal("Accepted", reader.GetString(3));
        Assert.Equal(0, reader.GetInt32(4));
        using var payload = JsonDocument.Parse(reader.GetString(5));
        Assert.Equal(10.5m, payload.RootElement.GetProperty("amount").GetDecimal());
        Assert.Equal("10.5", payload.RootElement.GetProperty("amount").GetRawText());
        Assert.Equal("EUR", payload.RootElement.GetProperty("currency").GetString());
        Assert.Equal("cus_123", payload.RootElement.GetProperty("customerId").GetString());
        Assert.Equal("Order 42", payload.RootElement.GetProperty("description").GetString());
        Assert.True(reader.IsDBNull(6));
        var now = fixture.Time.GetUtcNow();
        Assert.Equal(now + TimeSpan.FromHours(1), reader.GetFieldValue<DateTimeOffset>(7));
        Assert.Equal(now, reader.GetFieldValue<DateTimeOffset>(8));
        Assert.Equal(now, reader.GetFieldValue<DateTimeOffset>(9));
    }

    [Fact]
    public async Task Submit_ValidCharge_WritesOutboxRowWithWireMessageAndHeaders()
    {
        using var client = fixture.ClientFor("tenant-submit-outbox", clientId: "client-outbox");

        var id = await SubmitAsync(client, "payments.charge", CommandRequestsFor.Charge);

        var row = await ReadOutboxRowAsync(id);
        Assert.Equal("payments.charge", row.Destination);
        Assert.Equal("Messaging.Contracts.Payments.ChargePayment", row.MessageType);
        Assert.Equal(fixture.Time.GetUtcNow(), row.NotBefore);
        Assert.Null(row.SentAt);

        var body = row.Body.RootElement;
        Assert.Equal(id, body.GetProperty("commandId").GetGuid());
        Assert.Equal("tenant-submit-outbox", body.GetProperty("tenant").GetString());
        Assert.Equal(10.5m, body.GetProperty("amount").GetDecimal());
        Assert.Equal("EUR", body.GetProperty("currency").GetString());
        Assert.Equal("cus_123", body.GetProperty("customerId").GetString());
        Assert.Equal("Order 42", body.GetProperty("description").GetString());

        var headers = row.Headers.RootElement;
        Assert.Equal("tenant-submit-outbox", headers.GetProperty("Messaging-Tenant").GetString());
        Assert.Equal("client-outbox", headers.GetProperty("Messaging-Client").GetString());
        Assert.Equal("payments.charge", headers.GetProperty("Messaging-Command-Type").GetString());
        Assert.Equal("1", headers.GetProperty("Messaging-Attempt").GetString());
        var deadline = headers.GetProperty("Messaging-Deadline").GetString()!;
        Assert.EndsWith("Z", deadline, StringComparison.Ordinal);
        Assert.Equal(fixture.Time.GetUtcNow() + TimeSpan.FromHours(1), DateTimeOffset.Parse(deadline, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Submit_Notification_UsesItsTypeQueueMessageAndOneDayDefaultDeadline()
    {
        using var client = fixture.ClientFor("tenant-submit-notification");

        var id = await SubmitAsync(client, "notifications.send", CommandRequestsFor.Email);

        var row = await ReadOutboxRowAsync(id);
        Assert.Equal("notifications.send", row.Destination);
        Assert.Equal("Messaging.Contracts.Notifications.SendNotification", row.MessageType);
        Assert.Equal("email", row.Body.RootElement.GetProperty("channel").GetString());
        Assert.Equal("ada@example.com", row.Body.RootElement.GetProperty("to").GetString());
        Assert.Equal(fixture.Time.GetUtcNow() + TimeSpan.FromDays(1),
            DateTimeOffset.Parse(row.Headers.RootElement.GetProperty("Messaging-Deadline").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Submit_WithCommandTimeout_StoresNowPlusTimeoutAsDeadline()
    {
        using var client = fixture.ClientFor("tenant-submit-timeout");

        var id = await SubmitAsync(client, "payments.charge", CommandRequestsFor.Charge, timeout: "300");

        await using var connection = await fixture.OpenDatabaseAsync();
        await using var select = new NpgsqlCommand("SELECT deadline FROM commands WHERE id = @id", connection);
        select.Parameters.AddWithValue("id", id);
        var expected = fixture.Time.GetUtcNow() + TimeSpan.FromSeconds(300);
        Assert.Equal(expected, new DateTimeOffset((DateTime)(await select.ExecuteScalarAsync(Ct))!));
        var row = await ReadOutboxRowAsync(id);
        Assert.Equal(expected, DateTimeOffset.Parse(row.Headers.RootElement.GetProperty("Messaging-Deadline").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Submit_WithTraceContext_StoresTraceparentAndTracestateInOutboxHeaders()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var client = fixture.ClientFor("tenant-submit-trace");
        var request = CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge);
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        request.Headers.Add("tracestate", "vendor=value");

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var headers = (await ReadOutboxRowAsync(body.RootElement.GetProperty("id").GetGuid())).Headers.RootElement;
        var traceParent = headers.GetProperty("traceparent").GetString()!;
        Assert.StartsWith("00-0af7651916cd43dd8448eb211c80319c-", traceParent, StringComparison.Ordinal);
        Assert.DoesNotContain("b7ad6b7169203331", traceParent, StringComparison.Ordinal); // the gateway's own span, child of the caller's
        Assert.Equal("vendor=value", headers.GetProperty("tracestate").GetString());
    }

    [Fact]
    public async Task Submit_WithoutTraceState_WritesTheFiveMessagingHeadersAndNoTraceState()
    {
        using var client = fixture.ClientFor("tenant-submit-notrace");

        var id = await SubmitAsync(client, "payments.charge", CommandRequestsFor.Charge);

        var names = (await ReadOutboxRowAsync(id)).Headers.RootElement.EnumerateObject().Select(p => p.Name).ToHashSet();
        string[] messaging = ["Messaging-Tenant", "Messaging-Client", "Messaging-Command-Type", "Messaging-Deadline", "Messaging-Attempt"];
        Assert.Superset(messaging.ToHashSet(), names);
        Assert.Subset(messaging.Append("traceparent").ToHashSet(), names);
    }

    [Fact]
    public async Task Submit_AfterCommit_SignalsTheOutboxRelay()
    {
        // The relay is off in this fixture, so the test is the only one waiting on the signal.
        var signal = fixture.Factory.Services.GetRequiredService<OutboxSignal>();
        var wait = signal.WaitAsync(TimeSpan.FromHours(1), fixture.Time, Ct);
        while (wait.IsCompleted)
        {
            wait = signal.WaitAsync(TimeSpan.FromHours(1), fixture.Time, Ct); // a signal left by an earlier test
        }

        using var client = fixture.ClientFor("tenant-submit-signal");

        await SubmitAsync(client, "payments.charge", CommandRequestsFor.Charge);

        Assert.True(await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task Submit_BodyOfExactly64KiB_IsAccepted()
    {
        using var client = fixture.ClientFor("tenant-submit-64k");
        var body = CommandRequestsFor.Charge + new string(' ', 64 * 1024 - CommandRequestsFor.Charge.Length);

        using var response = await client.SendAsync(CommandRequestsFor.Post("payments.charge", body), Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Submit_WithCharsetUtf8AndCaseInsensitivePropertyNames_IsAccepted()
    {
        using var client = fixture.ClientFor("tenant-submit-charset");

        using var response = await client.SendAsync(CommandRequestsFor.Post(
            "notifications.send", """{"Channel":"sms","to":"+4915112345678","body":"Hi"}""", contentType: "application/json; charset=utf-8"), Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private async Task<Guid> SubmitAsync(HttpClient client, string type, string body, string? timeout = null)
    {
        using var response = await client.SendAsync(CommandRequestsFor.Post(type, body, timeout: timeout), Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return json.RootElement.GetProperty("id").GetGuid();
    }

    private async Task<OutboxRowView> ReadOutboxRowAsync(Guid commandId)
    {
        await using var connection = await fixture.OpenDatabaseAsync();
        await using var select = new NpgsqlCommand(
            "SELECT destination, message_type, body::text, headers::text, not_before, sent_at FROM outbox WHERE command_id = @id", connection);
        select.Parameters.AddWithValue("id", commandId);
        await using var reader = await select.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        var row = new OutboxRowView(
            reader.GetString(0),
            reader.GetString(1),
            JsonDocument.Parse(reader.GetString(2)),
            JsonDocument.Parse(reader.GetString(3)),
            reader.GetFieldValue<DateTimeOffset>(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
        Assert.False(await reader.ReadAsync(Ct));
        return row;
    }

    private sealed record OutboxRowView(string Destination, string MessageType, JsonDocument Body, JsonDocument Headers, DateTimeOffset NotBefore, DateTimeOffset? SentAt);
}
