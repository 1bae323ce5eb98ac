using System.Text.Json;
using Messaging.Contracts.Notifications;
using Messaging.Workers.Tests.Execution;
using Messaging.Workers.Tests.ExternalServices;

namespace Messaging.Workers.Tests.DeadLetters;

/// <summary>The notifications fallback: the other channel when the command names a recipient there, else a NotificationFailed event.</summary>
public sealed class NotificationFallbackTests(WorkersHostFixture host) : IClassFixture<WorkersHostFixture>
{
    private const string Tenant = "tenant-notify";

    private static DateTimeOffset InTenMinutes => DateTimeOffset.UtcNow.AddMinutes(10);

    [Fact]
    public async Task AnEmailWithAFallbackRecipient_WhenExhausted_IsSentAsAnSmsCommandOfTheSameTenantAndClient()
    {
        var id = Guid.NewGuid();
        var deadline = InTenMinutes;
        host.Providers.Answer(ProviderStub.MessagesPath, id, 503, """{"error":"unavailable"}""");
        await host.InsertCommandAsync(id, SendNotification.TypeName, Tenant, deadline);
        var message = new SendNotification
        {
            CommandId = id, Tenant = Tenant, Channel = "email", To = "someone@example.com", Subject = "Code", Body = "Your code is 1234",
            FallbackTo = "+4915112345678",
        };

        var original = await ExhaustAsync(message, deadline);

        using var result = JsonDocument.Parse(original.ResultJson!);
        var fallbackId = result.RootElement.GetProperty("fallback").GetProperty("commandId").GetGuid();
        Assert.Equal("sms", result.RootElement.GetProperty("fallback").GetProperty("channel").GetString());
        var fallback = (await host.ReadCommandAsync(fallbackId))!;
        Assert.Equal("Accepted", fallback.Status);
        Assert.Equal(Tenant, fallback.Tenant);
        Assert.Equal(original.ClientId, fallback.ClientId);
        Assert.Equal(SendNotification.TypeName, fallback.Type);
        var row = Assert.Single(await host.OutboxRowsAsync(fallbackId));
        Assert.Equal("command", row.Kind);
        Assert.Equal("1", row.Headers["Messaging-Attempt"]);
        Assert.Equal(Tenant, row.Headers["Messaging-Tenant"]);
        Assert.Equal(original.ClientId, row.Headers["Messaging-Client"]);
        using var body = JsonDocument.Parse(row.Body);
        Assert.Equal("sms", body.RootElement.GetProperty("channel").GetString());
        Assert.Equal("+4915112345678", body.RootElement.GetProperty("to").GetString());
        Assert.Equal("Your code is 1234", body.RootElement.GetProperty("body").GetString());
        Assert.False(body.RootElement.TryGetProperty("subject", out _));
        Assert.False(body.RootElement.TryGetProperty("fallbackTo", out _));
        Assert.DoesNotContain(await host.OutboxRowsAsync(id), r => r.Kind == "event");

        // Delivered, the fallback is an ordinary command: it succeeds on its own channel.
        await host.RelayAsync(fallbackId);
        await host.WaitForStatusAsync(fallbackId, "Succeeded");
    }

    [Fact]
    public async Task ANotificationWithoutAFallbackRecipient_WhenExhausted_PublishesNotificationFailed()
    {
        var id = Guid.NewGuid();
        var deadline = InTenMinutes;
        host.Providers.Answer(ProviderStub.MessagesPath, id, 503, """{"error":"unavailable"}""");
        await host.InsertCommandAsync(id, SendNotification.TypeName, Tenant, deadline);
        var message = new SendNotification { CommandId = id, Tenant = Tenant, Channel = "sms", To = "+15550100", Body = "Code 1234" };

        var original = await ExhaustAsync(message, deadline);

        Assert.Null(original.ResultJson);
        var failed = Assert.Single(await host.OutboxRowsAsync(id), r => r.Kind == "event");
        Assert.Equal("Messaging.Contracts.Events.NotificationFailed", failed.MessageType);
        using var body = JsonDocument.Parse(failed.Body);
        Assert.Equal(Tenant, body.RootElement.GetProperty("tenant").GetString());
        Assert.Equal("sms", body.RootElement.GetProperty("channel").GetString());
        Assert.False(body.RootElement.TryGetProperty("body", out _));
    }

    private async Task<CommandRow> ExhaustAsync(SendNotification message, DateTimeOffset deadline)
    {
        await host.SendAsync(message, SendNotification.TypeName, deadline);
        for (var attempt = 1; attempt < WorkersHostFixture.MaxAttempts; attempt++)
        {
            var done = attempt;
            await WorkersHostFixture.WaitUntilAsync(async () => await host.ReadCommandAsync(message.CommandId) is { Status: "Scheduled" } row && row.Attempts == done,
                $"attempt {done} failed");
            await host.RelayAsync(message.CommandId);
        }

        return await host.WaitForStatusAsync(message.CommandId, "DeadLettered");
    }
}
