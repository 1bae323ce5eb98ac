using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Messaging.FakeServices.Tests.Infrastructure;

namespace Messaging.FakeServices.Tests.Payments;

public sealed class TokenEndpointTests : IAsyncLifetime
{
    private readonly FakeServicesFactory _factory = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task Token_WithFormCredentials_ReturnsBearerTokenWithConfiguredLifetime()
    {
        var ct = TestContext.Current.CancellationToken;

        var token = await _factory.PaymentsPrimary().TokenAsync(ct);

        Assert.False(string.IsNullOrEmpty(token.AccessToken));
        Assert.Equal("Bearer", token.TokenType);
        Assert.Equal(300, token.ExpiresIn);
    }

    [Fact]
    public async Task Token_WithBasicCredentials_ReturnsTokenAndNoStore()
    {
        var ct = TestContext.Current.CancellationToken;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{FakeServicesDefaults.PaymentsClientId}:{FakeServicesDefaults.PaymentsClientSecret}")));

        using var response = await _factory.PaymentsPrimary().SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var token = await response.Content.ReadFromJsonAsync<TokenDto>(ct);
        Assert.False(string.IsNullOrEmpty(token!.AccessToken));
    }

    [Fact]
    public async Task Token_WithWrongSecret_Returns401InvalidClient()
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await _factory.PaymentsPrimary().PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = FakeServicesDefaults.PaymentsClientId,
            ["client_secret"] = "wrong",
        }), ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
    }

    [Fact]
    public async Task Token_WithOtherGrantType_Returns400UnsupportedGrantType()
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await _factory.PaymentsPrimary().PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["client_id"] = FakeServicesDefaults.PaymentsClientId,
            ["client_secret"] = FakeServicesDefaults.PaymentsClientSecret,
        }), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("unsupported_grant_type", (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
    }

    [Fact]
    public async Task Token_WithJsonBody_Returns400InvalidRequest()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.PaymentsPrimary().PostAsJsonAsync("/oauth/token", new { grant_type = "client_credentials" }, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
    }

    [Fact]
    public async Task Token_IssuedByPrimary_IsAcceptedBySecondary()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = await _factory.PaymentsPrimary().TokenAsync(ct);

        using var response = await _factory.PaymentsSecondary().ChargeAsync(token.AccessToken, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Token_Requests_AreCountedInTheLedgerPerInstance()
    {
        var ct = TestContext.Current.CancellationToken;
        await _factory.PaymentsPrimary().TokenAsync(ct);
        await _factory.PaymentsPrimary().TokenAsync(ct);
        await _factory.PaymentsSecondary().TokenAsync(ct);

        var ledger = await _factory.Control().LedgerAsync("payments", ct);

        Assert.Equal(3, ledger.TokenRequests);
        Assert.Equal(0, ledger.Requests);
        Assert.Equal(2, ledger.RequestsByInstance[FakeServicesDefaults.PaymentsPrimary]);
        Assert.Equal(1, ledger.RequestsByInstance[FakeServicesDefaults.PaymentsSecondary]);
    }

    [Fact]
    public async Task Charge_AfterTokenLifetimePassed_Returns401InvalidToken()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.PaymentsPrimary();
        var token = await client.TokenAsync(ct);
        _factory.Time.Advance(TimeSpan.FromSeconds(token.ExpiresIn));

        using var response = await client.ChargeAsync(token.AccessToken, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_token", (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
    }

    [Fact]
    public async Task Charge_WithTokenFromShortenedLifetime_WorksUntilItExpires()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        using (var set = await control.PutAsJsonAsync("/control/payments/token-lifetime", new { seconds = 5 }, ct))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }

        var client = _factory.PaymentsPrimary();
        var token = await client.TokenAsync(ct);
        Assert.Equal(5, token.ExpiresIn);

        using var before = await client.ChargeAsync(token.AccessToken, "key-1", ProviderApi.Charge(), ct);
        _factory.Time.Advance(TimeSpan.FromSeconds(5));
        using var after = await client.ChargeAsync(token.AccessToken, "key-2", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.Created, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Charge_AfterControlExpiresAllTokens_Returns401()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.PaymentsPrimary();
        var token = await client.TokenAsync(ct);

        using var expire = await _factory.Control().DeleteAsync("/control/payments/tokens", ct);
        using var response = await client.ChargeAsync(token.AccessToken, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.OK, expire.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-token")]
    public async Task Charge_WithoutValidToken_Returns401AndProducesNoEffect(string? token)
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.PaymentsPrimary().ChargeAsync(token, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, (await _factory.Control().LedgerAsync("payments", ct)).DistinctEffects);
    }
}
