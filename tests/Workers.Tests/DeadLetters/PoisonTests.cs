using System.Text;
using System.Text.Json;
using Messaging.Contracts.Payments;
using Messaging.Store.Bus;
using Messaging.Workers.Tests.Execution;
using Messaging.Workers.Tests.ExternalServices;

namespace Messaging.Workers.Tests.DeadLetters;

/// <summary>
/// Poison goes straight to dead letters without retries, whichever way it arrives: caught by the consumer
/// (invalid command, unusable headers) or moved by MassTransit to the fault queues (unreadable body,
/// unknown type) or dead-lettered by the broker (delivery limit), and drained from there. The worker keeps
/// running.
/// </summary>
public sealed class PoisonTests(WorkersHostFixture host) : IClassFixture<WorkersHostFixture>
{
    private const string Tenant = "tenant-poison";

    private static DateTimeOffset InTenMinutes => DateTimeOffset.UtcNow.AddMinutes(10);

    private static ChargePayment Charge(Guid id, decimal amount = 12m) => new()
    {
        CommandId = id,
        Tenant = Tenant,
        Amount = amount,
        Currency = "EUR",
        CustomerId = "cus_poison",
    };

    [Fact]
    public async Task AnInvalidCommand_IsDeadLetteredAsPoison_WithoutAProviderCall()
    {
        var id = Guid.NewGuid();
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InTenMinutes);

        await host.SendAsync(Charge(id, amount: -5m), ChargePayment.TypeName, InTenMinutes);
        var command = await host.WaitForStatusAsync(id, "DeadLettered");

        Assert.Equal(0, command.Attempts);
        Assert.Contains("amount", command.ErrorMessage, StringComparison.OrdinalIgnoreCase);
        var letter = Assert.Single(await host.DeadLettersAsync("command_id = @id", ("id", id)));
        Assert.Equal("poison", letter.Source);
        Assert.Equal(0, letter.Attempts);
        Assert.Equal(Tenant, letter.Tenant);
        Assert.Equal(Tenant, letter.Headers["Messaging-Tenant"]);
        Assert.Empty(host.Providers.Requests(ProviderStub.ChargesPath, id));
        Assert.Single(await host.OutboxRowsAsync(id), r => r.MessageType == "Messaging.Contracts.Events.PaymentFailed");
    }

    [Theory]
    [InlineData("Messaging-Tenant")]
    [InlineData("Messaging-Command-Type")]
    [InlineData("Messaging-Attempt")]
    public async Task AMessageWithoutARequiredHeader_IsDeadLetteredAsPoison(string missing)
    {
        var id = Guid.NewGuid();
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InTenMinutes);
        var headers = new Dictionary<string, object?>
        {
            ["Messaging-Tenant"] = Tenant,
            ["Messaging-Command-Type"] = ChargePayment.TypeName,
            ["Messaging-Attempt"] = "1",
            [missing] = null,
        };

        await host.SendWithHeadersAsync(Charge(id), ChargePayment.TypeName, headers);
        await host.WaitForStatusAsync(id, "DeadLettered");

        var letter = Assert.Single(await host.DeadLettersAsync("command_id = @id", ("id", id)));
        Assert.Equal("poison", letter.Source);
        Assert.Contains(missing, letter.Reason, StringComparison.Ordinal);
        Assert.Empty(host.Providers.Requests(ProviderStub.ChargesPath, id));
    }

    [Fact]
    public async Task AnUnreadableBody_MovedToTheErrorQueue_IsDrainedIntoTheDeadLetterStoreWhole()
    {
        var marker = "garbage-" + Guid.NewGuid().ToString("N");

        await host.PublishRawAsync(ChargePayment.TypeName, Encoding.UTF8.GetBytes($"this is not a command {{{marker}"),
            new Dictionary<string, object?> { ["Messaging-Tenant"] = Tenant });
        var letter = await host.WaitForDeadLetterAsync("body LIKE @marker", ("marker", $"%{marker}%"));

        Assert.Equal("poison", letter.Source);
        Assert.Null(letter.CommandId);
        Assert.Equal($"this is not a command {{{marker}", letter.Body);
        Assert.Equal("payments.charge_error", letter.Headers["Messaging-Dead-Letter-Queue"]);
        Assert.Equal(Tenant, letter.Headers["Messaging-Tenant"]);
        Assert.False(string.IsNullOrEmpty(letter.ExceptionType));
        Assert.Contains("could not be read", letter.Reason, StringComparison.Ordinal);
        await WorkersHostFixture.WaitUntilAsync(async () => (await host.QueueAsync("payments.charge_error")).Messages == 0, "the error queue is drained");
        await TheWorkerStillExecutesCommandsAsync();
    }

    [Fact]
    public async Task ABinaryBody_IsStoredInBase64()
    {
        var marker = Guid.NewGuid();
        byte[] body = [0x00, 0xFF, 0xFE, .. marker.ToByteArray()];

        await host.PublishRawAsync(ChargePayment.TypeName, body, contentType: "application/vnd.masstransit+json", messageId: marker.ToString());
        var letter = await host.WaitForDeadLetterAsync("headers->>'message_id' = @id", ("id", marker.ToString()));

        Assert.Equal("base64", letter.Headers["Messaging-Body-Encoding"]);
        Assert.Equal(body, Convert.FromBase64String(letter.Body));
        Assert.Equal("poison", letter.Source);
    }

    [Fact]
    public async Task AMessageOfAnUnknownType_SkippedByTheEndpoint_IsDrainedAsPoison()
    {
        var id = Guid.NewGuid();
        var envelope = JsonSerializer.Serialize(new
        {
            messageId = id,
            messageType = new[] { "urn:message:Somebody.Else:UnknownCommand" },
            headers = new Dictionary<string, string> { ["Messaging-Tenant"] = Tenant },
            message = new { commandId = id, tenant = Tenant },
        });

        await host.PublishRawAsync(ChargePayment.TypeName, Encoding.UTF8.GetBytes(envelope), contentType: "application/vnd.masstransit+json",
            messageId: id.ToString());
        var letter = await host.WaitForDeadLetterAsync("headers->>'message_id' = @id", ("id", id.ToString()));

        Assert.Equal("poison", letter.Source);
        Assert.Equal("payments.charge_skipped", letter.Headers["Messaging-Dead-Letter-Queue"]);
        Assert.Contains("no consumer", letter.Reason, StringComparison.Ordinal);
        Assert.Equal(envelope, letter.Body);
    }

    [Fact]
    public async Task AMessageTheBrokerDeadLettered_IsDrained_AndItsCommandDeadLetteredWithItsFallback()
    {
        var id = Guid.NewGuid();
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InTenMinutes);
        var envelope = JsonSerializer.Serialize(new
        {
            messageId = id,
            messageType = new[] { "urn:message:Messaging.Contracts.Payments:ChargePayment" },
            headers = new Dictionary<string, string>
            {
                ["Messaging-Tenant"] = Tenant,
                ["Messaging-Command-Type"] = ChargePayment.TypeName,
                ["Messaging-Attempt"] = "1",
            },
            message = new { commandId = id, tenant = Tenant, amount = 12.5m, currency = "EUR", customerId = "cus_poison" },
        });

        // What a quorum queue does with a message past its delivery limit.
        await host.PublishRawAsync(CommandTopology.DeadLetterExchange, Encoding.UTF8.GetBytes(envelope),
            new Dictionary<string, object?> { ["x-first-death-reason"] = "delivery_limit", ["x-first-death-queue"] = ChargePayment.TypeName },
            contentType: "application/vnd.masstransit+json", messageId: id.ToString());
        var command = await host.WaitForStatusAsync(id, "DeadLettered");

        var letter = Assert.Single(await host.DeadLettersAsync("command_id = @id", ("id", id)));
        Assert.Equal("delivery-limit", letter.Source);
        Assert.Equal(ChargePayment.TypeName, letter.Type);
        Assert.Equal(Tenant, letter.Tenant);
        Assert.Equal(command.ErrorMessage, letter.Reason);
        using (var body = JsonDocument.Parse(letter.Body))
        {
            // The command inside the envelope, so that a redrive can send it again.
            Assert.Equal(id, body.RootElement.GetProperty("commandId").GetGuid());
            Assert.Equal(12.5m, body.RootElement.GetProperty("amount").GetDecimal());
        }

        Assert.Equal("messaging.dead-letters", letter.Headers["Messaging-Dead-Letter-Queue"]);
        Assert.Single(await host.OutboxRowsAsync(id), r => r.MessageType == "Messaging.Contracts.Events.PaymentFailed");
    }

    [Fact]
    public async Task ADeadLetterNamingAnotherTenantsCommand_LeavesThatCommandAlone()
    {
        var id = Guid.NewGuid();
        await host.InsertCommandAsync(id, ChargePayment.TypeName, "tenant-owner", InTenMinutes);

        await host.SendAsync(Charge(id, amount: -1m), ChargePayment.TypeName, InTenMinutes);
        var letter = await host.WaitForDeadLetterAsync("body LIKE @id", ("id", $"%{id}%"));

        Assert.Null(letter.CommandId);
        Assert.Equal("Dispatched", (await host.ReadCommandAsync(id))!.Status);
        Assert.Empty(await host.OutboxRowsAsync(id));
    }

    private async Task TheWorkerStillExecutesCommandsAsync()
    {
        var id = Guid.NewGuid();
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InTenMinutes);
        await host.SendAsync(Charge(id), ChargePayment.TypeName, InTenMinutes);
        await host.WaitForStatusAsync(id, "Succeeded");
    }
}
