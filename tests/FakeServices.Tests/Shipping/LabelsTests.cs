using System.Net;
using System.Net.Http.Json;
using Messaging.FakeServices.Tests.Infrastructure;

namespace Messaging.FakeServices.Tests.Shipping;

public sealed class LabelsTests : IAsyncLifetime
{
    private const string ApiKey = FakeServicesDefaults.ShippingApiKey;
    private readonly FakeServicesFactory _factory = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task Label_WithValidRequest_Returns201WithLabelIdAndTrackingNumber()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Shipping().LabelAsync(ApiKey, "key-1", ProviderApi.Label(carrier: "dhl"), ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var label = (await response.Content.ReadFromJsonAsync<LabelDto>(ct))!;
        Assert.StartsWith("lbl_", label.Id, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(label.TrackingNumber));
        Assert.Equal("dhl", label.Carrier);
        var effect = Assert.Single((await _factory.Control().LedgerAsync("shipping", ct)).Effects);
        Assert.Equal((label.Id, FakeServicesDefaults.Shipping, 201), (effect.Id, effect.Instance, effect.Status));
    }

    [Fact]
    public async Task Label_WithSameKeyTwice_ReturnsTheSameLabelAndRecordsOneEffect()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.Shipping();

        using var first = await client.LabelAsync(ApiKey, "key-1", ProviderApi.Label(), ct);
        using var second = await client.LabelAsync(ApiKey, "key-1", ProviderApi.Label(), ct);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(ct), await second.Content.ReadAsStringAsync(ct));
        var ledger = await _factory.Control().LedgerAsync("shipping", ct);
        Assert.Equal((1, 0, 1L), (ledger.DistinctEffects, ledger.DuplicateEffects, ledger.EffectsProduced));
        Assert.Equal((2L, 1L), (ledger.Requests, ledger.Replays));
        Assert.Equal(2, Assert.Single(ledger.Effects).RequestCount);
        var log = await _factory.Control().RequestsAsync("provider=shipping&path=/v1/labels", ct);
        Assert.Equal([false, true], log.Requests.Select(r => r.Replayed));
    }

    [Fact]
    public async Task Label_ToTheUndeliverablePostalCode_Returns422UndeliverableAsARefusalThatIsReplayed()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.Shipping();

        using var response = await client.LabelAsync(ApiKey, "key-1", ProviderApi.Label(FakeServicesDefaults.UndeliverablePostalCode), ct);
        using var retried = await client.LabelAsync(ApiKey, "key-1", ProviderApi.Label(FakeServicesDefaults.UndeliverablePostalCode), ct);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<ShippingErrorDto>(ct))!.Error;
        Assert.Equal("undeliverable", error.Code);
        Assert.False(string.IsNullOrEmpty(error.Message));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, retried.StatusCode);
        var ledger = await _factory.Control().LedgerAsync("shipping", ct);
        Assert.Equal((1, 0, 1L), (ledger.Refusals, ledger.DistinctEffects, ledger.Replays));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    [InlineData(FakeServicesDefaults.NotificationsApiKey)]
    public async Task Label_WithoutTheRightApiKey_Returns401InvalidApiKey(string? apiKey)
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Shipping().LabelAsync(apiKey, "key-1", ProviderApi.Label(), ct);
        using var valid = await _factory.Shipping().LabelAsync(ApiKey, "key-1", ProviderApi.Label(), ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_api_key", (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
        Assert.Equal(HttpStatusCode.Created, valid.StatusCode);
        Assert.Equal(1, (await _factory.Control().LedgerAsync("shipping", ct)).DistinctEffects);
    }

    [Fact]
    public async Task Label_WithTheApiKeyAsABearerToken_Returns401()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Shipping().SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/labels")
        {
            Headers = { { "Authorization", $"Bearer {ApiKey}" }, { "Idempotency-Key", "key-1" } },
            Content = JsonContent.Create(ProviderApi.Label()),
        }, ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData(null, "missing_idempotency_key")]
    [InlineData("has space", "invalid_idempotency_key")]
    public async Task Label_WithoutAValidIdempotencyKey_Returns400(string? key, string error)
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Shipping().LabelAsync(ApiKey, key, ProviderApi.Label(), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(error, (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
    }

    [Theory]
    [InlineData("""not json""")]
    [InlineData("""{"recipient":"Ada","postalCode":"75001","country":"FR","weightGrams":100}""")]
    [InlineData("""{"carrier":"dhl","postalCode":"75001","country":"FR","weightGrams":100}""")]
    [InlineData("""{"carrier":"dhl","recipient":"Ada","country":"FR","weightGrams":100}""")]
    [InlineData("""{"carrier":"dhl","recipient":"Ada","postalCode":"75001","country":"fr","weightGrams":100}""")]
    [InlineData("""{"carrier":"dhl","recipient":"Ada","postalCode":"75001","country":"FRA","weightGrams":100}""")]
    [InlineData("""{"carrier":"dhl","recipient":"Ada","postalCode":"75001","country":"FR","weightGrams":0}""")]
    [InlineData("""{"carrier":"dhl","recipient":"Ada","postalCode":"75001","country":"FR","weightGrams":1.5}""")]
    [InlineData("""{"carrier":"dhl","recipient":"Ada","postalCode":"75001","country":"FR"}""")]
    public async Task Label_WithMalformedBody_Returns400InvalidRequestAndKeepsTheKey(string body)
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.Shipping();

        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/labels")
        {
            Headers = { { "X-Api-Key", ApiKey }, { "Idempotency-Key", "key-1" } },
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        }, ct);
        using var valid = await client.LabelAsync(ApiKey, "key-1", ProviderApi.Label(), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
        Assert.Equal(HttpStatusCode.Created, valid.StatusCode);
    }

    [Fact]
    public async Task Label_OnTheNotificationsPort_Returns404NotFound()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Notifications().LabelAsync(ApiKey, "key-1", ProviderApi.Label(), ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found", (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
    }

    [Fact]
    public async Task Label_KeysOfNotifications_DoNotCollideWithShipping()
    {
        var ct = TestContext.Current.CancellationToken;

        using var message = await _factory.Notifications().MessageAsync(FakeServicesDefaults.NotificationsApiKey, "shared-key", ProviderApi.Email(), ct);
        using var label = await _factory.Shipping().LabelAsync(ApiKey, "shared-key", ProviderApi.Label(), ct);

        Assert.Equal(HttpStatusCode.Accepted, message.StatusCode);
        Assert.Equal(HttpStatusCode.Created, label.StatusCode);
        Assert.StartsWith("lbl_", (await label.Content.ReadFromJsonAsync<LabelDto>(ct))!.Id, StringComparison.Ordinal);
    }
}
