using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.FakeServices.Tests.Infrastructure;

namespace Messaging.FakeServices.Tests.Control;

public sealed class ControlApiTests : IAsyncLifetime
{
    private readonly FakeServicesFactory _factory = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Theory]
    [InlineData("""{"errorRate":1.5}""", "errorRate")]
    [InlineData("""{"latencyMs":-1}""", "latencyMs")]
    [InlineData("""{"retryAfterSeconds":4000}""", "retryAfterSeconds")]
    [InlineData("""{"untilSeconds":0}""", "untilSeconds")]
    [InlineData("""{"outtage":true}""", "body")]
    [InlineData("""not json""", "body")]
    [InlineData("", "body")]
    public async Task PutFaults_WithInvalidBody_Returns400ProblemNamingTheField(string body, string field)
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Control().PutAsync($"/control/instances/{FakeServicesDefaults.PaymentsPrimary}/faults",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task PutFaults_ForUnknownInstance_Returns404Problem()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Control().PutAsJsonAsync("/control/instances/nope/faults", new { outage = true }, ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task GetFaults_ShowsTheFaultsInForce()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        await control.SetFaultsAsync(FakeServicesDefaults.PaymentsSecondary, new { latencyMs = 250, untilSeconds = 60 }, ct);

        using var view = JsonDocument.Parse(await control.GetStringAsync($"/control/instances/{FakeServicesDefaults.PaymentsSecondary}/faults", ct));

        Assert.True(view.RootElement.GetProperty("active").GetBoolean());
        Assert.Equal(250, view.RootElement.GetProperty("faults").GetProperty("latencyMs").GetInt32());
        Assert.Equal(_factory.Time.GetUtcNow().AddSeconds(60), view.RootElement.GetProperty("until").GetDateTimeOffset());
    }

    [Fact]
    public async Task ListInstances_ShowsTheFiveDefaultInstancesWithTheirPorts()
    {
        var ct = TestContext.Current.CancellationToken;

        using var list = JsonDocument.Parse(await _factory.Control().GetStringAsync("/control/instances", ct));

        var names = list.RootElement.EnumerateArray().Select(i => (i.GetProperty("name").GetString(), i.GetProperty("port").GetInt32(), i.GetProperty("provider").GetString()));
        Assert.Equal(
            [
                (FakeServicesDefaults.PaymentsPrimary, 5091, "payments"),
                (FakeServicesDefaults.PaymentsSecondary, 5092, "payments"),
                (FakeServicesDefaults.Notifications, 5093, "notifications"),
                (FakeServicesDefaults.Shipping, 5094, "shipping"),
                (FakeServicesDefaults.Crm, 5095, "crm"),
            ],
            names);
    }

    [Theory]
    [InlineData("/control/ledger")]
    [InlineData("/control/ledger?provider=sms")]
    [InlineData("/control/requests?provider=parcels")]
    [InlineData("/control/ledger?provider=crms")]
    [InlineData("/control/requests?provider=payments&since=yesterday")]
    [InlineData("/control/requests?provider=payments&limit=0")]
    public async Task Queries_WithInvalidParameters_Return400Problem(string url)
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Control().GetAsync(url, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("""{"seconds":0}""")]
    [InlineData("""{"seconds":86401}""")]
    [InlineData("""{}""")]
    public async Task PutTokenLifetime_OutOfRange_Returns400Problem(string body)
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Control().PutAsync("/control/payments/token-lifetime",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ResetLedger_ForgetsEffectsCountersAndKeys()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.PaymentsPrimary();
        var control = _factory.Control();
        var token = await client.TokenAsync(ct);
        using var first = await client.ChargeAsync(token.AccessToken, "key-1", ProviderApi.Charge(), ct);

        using var reset = await control.DeleteAsync("/control/ledger", ct);
        var emptied = await control.LedgerAsync("payments", ct);
        using var again = await client.ChargeAsync(token.AccessToken, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal((0, 0, 0), (emptied.Requests, emptied.TokenRequests, emptied.DistinctEffects));
        Assert.DoesNotContain((await control.RequestsAsync("provider=payments", ct)).Requests, r => r.Path == "/oauth/token");
        Assert.NotEqual(
            (await first.Content.ReadFromJsonAsync<ChargeDto>(ct))!.Id,
            (await again.Content.ReadFromJsonAsync<ChargeDto>(ct))!.Id);
    }

    [Fact]
    public async Task ResetLedger_ForOneProvider_KeepsTheOther()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        using var message = await _factory.Notifications().MessageAsync(FakeServicesDefaults.NotificationsApiKey, "key-1", ProviderApi.Email(), ct);
        await _factory.PaymentsPrimary().TokenAsync(ct);

        using var reset = await control.DeleteAsync("/control/ledger?provider=payments", ct);

        Assert.Equal(0, (await control.LedgerAsync("payments", ct)).TokenRequests);
        Assert.Equal(1, (await control.LedgerAsync("notifications", ct)).DistinctEffects);
    }

    [Fact]
    public async Task ResetLedger_ForShipping_ForgetsItsKeysAndKeepsNotifications()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        using var message = await _factory.Notifications().MessageAsync(FakeServicesDefaults.NotificationsApiKey, "key-1", ProviderApi.Email(), ct);
        using var first = await _factory.Shipping().LabelAsync(FakeServicesDefaults.ShippingApiKey, "key-1", ProviderApi.Label(), ct);

        using var reset = await control.DeleteAsync("/control/ledger?provider=shipping", ct);
        using var again = await _factory.Shipping().LabelAsync(FakeServicesDefaults.ShippingApiKey, "key-1", ProviderApi.Label(), ct);

        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.NotEqual(
            (await first.Content.ReadFromJsonAsync<LabelDto>(ct))!.Id,
            (await again.Content.ReadFromJsonAsync<LabelDto>(ct))!.Id);
        Assert.Equal(1, (await control.LedgerAsync("shipping", ct)).Requests);
        Assert.Equal(1, (await control.LedgerAsync("notifications", ct)).DistinctEffects);
    }

    [Fact]
    public async Task Requests_FilteredBySinceAndInstance_ReturnsTimestampsFromTheTimeProvider()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        await _factory.PaymentsPrimary().TokenAsync(ct);
        _factory.Time.Advance(TimeSpan.FromMinutes(1));
        var since = _factory.Time.GetUtcNow();
        await _factory.PaymentsPrimary().TokenAsync(ct);
        await _factory.PaymentsSecondary().TokenAsync(ct);

        var log = await control.RequestsAsync($"provider=payments&instance={FakeServicesDefaults.PaymentsPrimary}&since={Uri.EscapeDataString(since.ToString("O"))}", ct);

        var entry = Assert.Single(log.Requests);
        Assert.Equal(since, entry.ReceivedAt);
        Assert.Equal("/oauth/token", entry.Path);
        Assert.Equal(200, entry.Status);
        Assert.False(log.Truncated);
    }

    [Fact]
    public async Task Requests_WithLimitAndAfter_PagesThroughTheLog()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        for (var i = 0; i < 3; i++)
        {
            await _factory.PaymentsPrimary().TokenAsync(ct);
        }

        var page1 = await control.RequestsAsync("provider=payments&limit=2", ct);
        var page2 = await control.RequestsAsync($"provider=payments&limit=2&after={page1.Requests[^1].Sequence}", ct);

        Assert.True(page1.Truncated);
        Assert.Equal(2, page1.Requests.Count);
        Assert.False(page2.Truncated);
        Assert.Single(page2.Requests);
    }

    [Fact]
    public async Task Reset_ClearsFaultsLedgerAndRestoresTokenLifetime()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        await control.SetFaultsAsync(FakeServicesDefaults.PaymentsPrimary, new { outage = true }, ct);
        using (await control.PutAsJsonAsync("/control/payments/token-lifetime", new { seconds = 5 }, ct))
        {
        }

        await _factory.PaymentsPrimary().TokenAsync(ct);

        using var reset = await control.PostAsync("/control/reset", content: null, ct);

        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(300, (await _factory.PaymentsPrimary().TokenAsync(ct)).ExpiresIn);
        using var faults = JsonDocument.Parse(await control.GetStringAsync($"/control/instances/{FakeServicesDefaults.PaymentsPrimary}/faults", ct));
        Assert.False(faults.RootElement.GetProperty("active").GetBoolean());
        Assert.Equal(1, (await control.LedgerAsync("payments", ct)).TokenRequests);
    }
}
