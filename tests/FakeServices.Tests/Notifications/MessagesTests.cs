using System.Net;
using System.Net.Http.Json;
using Messaging.FakeServices.Tests.Infrastructure;

namespace Messaging.FakeServices.Tests.Notifications;

public sealed class MessagesTests : IAsyncLifetime
{
    private const string ApiKey = FakeServicesDefaults.NotificationsApiKey;
    private readonly FakeServicesFactory _factory = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task Message_WithValidRequest_Returns202WithMessageId()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Notifications().MessageAsync(ApiKey, "key-1", ProviderApi.Email(), ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.StartsWith("msg_", (await response.Content.ReadFromJsonAsync<MessageDto>(ct))!.Id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Message_ForSmsWithoutSubject_Returns202()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Notifications().MessageAsync(ApiKey, "key-1", new { channel = "sms", to = "+15551234567", body = "Code 1234" }, ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task Message_WithoutTheApiKey_Returns401(string? apiKey)
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Notifications().MessageAsync(apiKey, "key-1", ProviderApi.Email(), ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, (await _factory.Control().LedgerAsync("notifications", ct)).DistinctEffects);
    }

    [Fact]
    public async Task Message_WithUnknownChannel_Returns400InvalidRequest()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Notifications().MessageAsync(ApiKey, "key-1", new { channel = "fax", to = "x", body = "b" }, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
    }

    [Fact]
    public async Task Message_ToRefusedRecipient_Returns400RecipientRefusedAsARefusal()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Notifications().MessageAsync(ApiKey, "key-1", ProviderApi.Email(FakeServicesDefaults.RefusedRecipient), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("recipient_refused", (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
        var ledger = await _factory.Control().LedgerAsync("notifications", ct);
        Assert.Equal(1, ledger.Refusals);
        Assert.Equal(0, ledger.DistinctEffects);
    }

    [Fact]
    public async Task Message_WithSameKeyTwice_ReturnsSameIdAndProducesOneEffect()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.Notifications();

        using var first = await client.MessageAsync(ApiKey, "key-1", ProviderApi.Email(), ct);
        using var second = await client.MessageAsync(ApiKey, "key-1", ProviderApi.Email(), ct);

        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(ct), await second.Content.ReadAsStringAsync(ct));
        var ledger = await _factory.Control().LedgerAsync("notifications", ct);
        Assert.Equal(1, ledger.DistinctEffects);
        Assert.Equal(2, ledger.Requests);
        Assert.Equal(FakeServicesDefaults.Notifications, Assert.Single(ledger.Effects).Instance);
    }

    [Fact]
    public async Task Message_KeysOfPayments_DoNotCollideWithNotifications()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = await _factory.PaymentsPrimary().TokenAsync(ct);

        using var charge = await _factory.PaymentsPrimary().ChargeAsync(token.AccessToken, "shared-key", ProviderApi.Charge(), ct);
        using var message = await _factory.Notifications().MessageAsync(ApiKey, "shared-key", ProviderApi.Email(), ct);

        Assert.Equal(HttpStatusCode.Created, charge.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, message.StatusCode);
    }
}
