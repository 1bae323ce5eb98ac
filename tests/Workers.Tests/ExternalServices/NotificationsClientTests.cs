using System.Text.Json;
using Messaging.Contracts.Notifications;
using Messaging.CommandTypes.Providers;
using Messaging.CommandTypes;

namespace Messaging.Workers.Tests.ExternalServices;

public sealed class NotificationsClientTests : IDisposable
{
    private readonly ProviderStub _stub = new();
    private readonly ExternalServicesHost _host;

    public NotificationsClientTests()
    {
        _host = new ExternalServicesHost(_stub.Configuration());
    }


    private static SendNotification Message() => new()
    {
        CommandId = Guid.NewGuid(),
        Tenant = "tenant-a",
        Channel = "email",
        To = "ada@example.com",
        Subject = "Hello",
        Body = "Your order shipped.",
    };

    [Fact]
    public async Task Send_WhenProviderAccepts_ReturnsResultWithProviderId()
    {
        _stub.WithMessagesAccepted();
        var command = Message();

        var outcome = await _host.Get<SendNotificationHandlerCall>().SendAsync(command, ExternalServicesHost.CallContext());

        Assert.True(outcome.Succeeded);
        using var result = JsonDocument.Parse(outcome.ResultJson!);
        Assert.Equal($"msg_{command.CommandId}", result.RootElement.GetProperty("providerId").GetString());
    }

    [Fact]
    public async Task Send_SendsApiKeyIdempotencyKeyAndBody()
    {
        _stub.WithMessagesAccepted();
        var command = Message();

        await _host.Get<SendNotificationHandlerCall>().SendAsync(command, ExternalServicesHost.CallContext());

        var request = Assert.Single(_stub.Requests(ProviderStub.MessagesPath));
        Assert.Equal($"Bearer {ProviderStub.ApiKey}", ProviderStub.Header(request, "Authorization"));
        Assert.Equal(command.CommandId.ToString(), ProviderStub.Header(request, "Idempotency-Key"));
        using var body = JsonDocument.Parse(request.Body!);
        Assert.Equal("email", body.RootElement.GetProperty("channel").GetString());
        Assert.Equal("ada@example.com", body.RootElement.GetProperty("to").GetString());
        Assert.Equal("Hello", body.RootElement.GetProperty("subject").GetString());
        Assert.Equal("Your order shipped.", body.RootElement.GetProperty("body").GetString());
    }

    [Fact]
    public async Task Send_WhenProviderRejects_ReturnsRefusal()
    {
        var command = Message();
        _stub.Answer(ProviderStub.MessagesPath, command.CommandId, 400, """{"error":{"code":"invalid_recipient","message":"The recipient is not valid."}}""");

        var outcome = await _host.Get<SendNotificationHandlerCall>().SendAsync(command, ExternalServicesHost.CallContext());

        Assert.Equal(new CommandStatusError("invalid_recipient", "The recipient is not valid."), outcome.Refusal);
        Assert.Single(_stub.Requests(ProviderStub.MessagesPath));
    }

    [Fact]
    public async Task Send_WhenProviderKeepsFailingWith500_ThrowsTransient()
    {
        var command = Message();
        _stub.Answer(ProviderStub.MessagesPath, command.CommandId, 500, "{}");

        var ex = await Assert.ThrowsAsync<ProviderException>(() => _host.Get<SendNotificationHandlerCall>().SendAsync(command, ExternalServicesHost.CallContext()));

        Assert.True(ex.IsTransient);
        Assert.Equal(3, _stub.Requests(ProviderStub.MessagesPath, command.CommandId).Count);
    }

    [Fact]
    public async Task Send_WhenProviderAnswersOutsideItsContract_ThrowsNonTransient()
    {
        var command = Message();
        _stub.Answer(ProviderStub.MessagesPath, command.CommandId, 404, "{}");

        var ex = await Assert.ThrowsAsync<ProviderException>(() => _host.Get<SendNotificationHandlerCall>().SendAsync(command, ExternalServicesHost.CallContext()));

        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task Send_NeverLogsTheApiKey()
    {
        _stub.WithMessagesAccepted();

        await _host.Get<SendNotificationHandlerCall>().SendAsync(Message(), ExternalServicesHost.CallContext());

        var logged = _host.AllLogText();
        Assert.Contains("/v1/messages", logged, StringComparison.Ordinal); // requests are logged, their headers are not
        Assert.DoesNotContain(ProviderStub.ApiKey, logged, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _host.Dispose();
        _stub.Dispose();
    }
}
