using System.Net;
using System.Net.Http.Json;
using Messaging.FakeServices.Tests.Infrastructure;

namespace Messaging.FakeServices.Tests.Faults;

public sealed class FaultsTests : IAsyncLifetime
{
    private const string Primary = FakeServicesDefaults.PaymentsPrimary;
    private readonly FakeServicesFactory _factory = new();
    private string _token = string.Empty;

    public async ValueTask InitializeAsync() =>
        _token = (await _factory.PaymentsPrimary().TokenAsync(TestContext.Current.CancellationToken)).AccessToken;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task Outage_Answers503AndProducesNoEffect()
    {
        var ct = TestContext.Current.CancellationToken;
        await _factory.Control().SetFaultsAsync(Primary, new { outage = true }, ct);

        using var response = await _factory.PaymentsPrimary().ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("service_unavailable", (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
        var ledger = await _factory.Control().LedgerAsync("payments", ct);
        Assert.Equal(0, ledger.DistinctEffects);
        Assert.Equal(1, ledger.Requests);
    }

    [Fact]
    public async Task Outage_OnPrimary_LeavesSecondaryServing()
    {
        var ct = TestContext.Current.CancellationToken;
        await _factory.Control().SetFaultsAsync(Primary, new { outage = true }, ct);

        using var primary = await _factory.PaymentsPrimary().ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);
        using var secondary = await _factory.PaymentsSecondary().ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, primary.StatusCode);
        Assert.Equal(HttpStatusCode.Created, secondary.StatusCode);
        var effect = Assert.Single((await _factory.Control().LedgerAsync("payments", ct)).Effects);
        Assert.Equal(FakeServicesDefaults.PaymentsSecondary, effect.Instance);
        Assert.Equal(2, effect.RequestCount);
    }

    [Fact]
    public async Task Outage_ClearedByDelete_LetsTheSameKeyTakeEffect()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        await control.SetFaultsAsync(Primary, new { outage = true }, ct);
        using var failed = await _factory.PaymentsPrimary().ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);

        using var cleared = await control.DeleteAsync($"/control/instances/{Primary}/faults", ct);
        using var retried = await _factory.PaymentsPrimary().ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
    }

    [Fact]
    public async Task Outage_DoesNotAffectTheTokenEndpointUnlessIncluded()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        await control.SetFaultsAsync(Primary, new { outage = true }, ct);
        var token = await _factory.PaymentsPrimary().TokenAsync(ct);

        await control.SetFaultsAsync(Primary, new { outage = true, includeTokenEndpoint = true }, ct);
        using var faulted = await _factory.PaymentsPrimary().PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = FakeServicesDefaults.PaymentsClientId,
            ["client_secret"] = FakeServicesDefaults.PaymentsClientSecret,
        }), ct);

        Assert.False(string.IsNullOrEmpty(token.AccessToken));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, faulted.StatusCode);
    }

    [Fact]
    public async Task TooManyRequests_Answers429WithRetryAfter()
    {
        var ct = TestContext.Current.CancellationToken;
        await _factory.Control().SetFaultsAsync(Primary, new { tooManyRequests = true, retryAfterSeconds = 7 }, ct);

        using var response = await _factory.PaymentsPrimary().ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        Assert.Equal(0, (await _factory.Control().LedgerAsync("payments", ct)).DistinctEffects);
    }

    [Fact]
    public async Task ErrorRateOne_Answers503ToEveryRequest()
    {
        var ct = TestContext.Current.CancellationToken;
        await _factory.Control().SetFaultsAsync(Primary, new { errorRate = 1.0 }, ct);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            using var response = await _factory.PaymentsPrimary().ChargeAsync(_token, $"key-{i}", ProviderApi.Charge(), ct);
            statuses.Add(response.StatusCode);
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.ServiceUnavailable, s));
        var log = await _factory.Control().RequestsAsync("provider=payments&path=/v1/charges", ct);
        Assert.All(log.Requests, r => Assert.Equal("error", r.Fault));
        Assert.Equal(0, (await _factory.Control().LedgerAsync("payments", ct)).DistinctEffects);
    }

    [Fact]
    public async Task Latency_DelaysTheAnswerOnTheClockOfTheTimeProvider()
    {
        var ct = TestContext.Current.CancellationToken;
        using (await _factory.Control().PutAsJsonAsync("/control/payments/token-lifetime", new { seconds = 86_400 }, ct))
        {
        }

        var token = (await _factory.PaymentsPrimary().TokenAsync(ct)).AccessToken;
        await _factory.Control().SetFaultsAsync(Primary, new { latencyMs = 600_000 }, ct);

        var call = _factory.PaymentsPrimary().ChargeAsync(token, "key-1", ProviderApi.Charge(), ct);
        // Ten minutes of latency on the fake clock: move it on until the request is let through. A delay
        // on the real clock would never finish within the iteration budget.
        for (var i = 0; i < 500 && !call.IsCompleted; i++)
        {
            _factory.Time.Advance(TimeSpan.FromMinutes(1));
            await Task.WhenAny(call, Task.Delay(TimeSpan.FromMilliseconds(20), ct));
        }

        Assert.True(call.IsCompleted, "the latency did not run on the injected TimeProvider");
        using var response = await call;
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var entry = Assert.Single((await _factory.Control().RequestsAsync("provider=payments&path=/v1/charges", ct)).Requests);
        Assert.Equal(600_000, entry.LatencyMs);
        Assert.True(entry.CompletedAt - entry.ReceivedAt >= TimeSpan.FromMinutes(10), $"completed {entry.CompletedAt - entry.ReceivedAt} after arrival");
    }

    [Fact]
    public async Task FailAfterEffect_Answers503ButRecordsTheEffectAndReplaysItOnRetry()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        await control.SetFaultsAsync(Primary, new { failAfterEffect = true }, ct);

        using var lost = await _factory.PaymentsPrimary().ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);
        using var retried = await _factory.PaymentsSecondary().ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, lost.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        var ledger = await control.LedgerAsync("payments", ct);
        var effect = Assert.Single(ledger.Effects);
        Assert.Equal(FakeServicesDefaults.PaymentsPrimary, effect.Instance);
        Assert.Equal(effect.Id, (await retried.Content.ReadFromJsonAsync<ChargeDto>(ct))!.Id);
        Assert.Equal(0, ledger.DuplicateEffects);
        var first = (await control.RequestsAsync("provider=payments&path=/v1/charges", ct)).Requests[0];
        Assert.True(first.FaultAfterEffect);
        Assert.Equal(503, first.Status);
    }

    [Fact]
    public async Task UntilSeconds_ClearsTheFaultsWhenTheTimeHasPassed()
    {
        var ct = TestContext.Current.CancellationToken;
        await _factory.Control().SetFaultsAsync(Primary, new { outage = true, untilSeconds = 30 }, ct);

        using var during = await _factory.PaymentsPrimary().ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);
        _factory.Time.Advance(TimeSpan.FromSeconds(30));
        using var after = await _factory.PaymentsPrimary().ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.Equal(HttpStatusCode.Created, after.StatusCode);
    }

    [Fact]
    public async Task Outage_OnShipping_Answers503WithoutAnEffectAndLeavesNotificationsServing()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        await control.SetFaultsAsync(FakeServicesDefaults.Shipping, new { outage = true }, ct);

        using var label = await _factory.Shipping().LabelAsync(FakeServicesDefaults.ShippingApiKey, "key-1", ProviderApi.Label(), ct);
        using var message = await _factory.Notifications().MessageAsync(FakeServicesDefaults.NotificationsApiKey, "key-1", ProviderApi.Email(), ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, label.StatusCode);
        Assert.Equal("service_unavailable", (await label.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
        Assert.Equal(HttpStatusCode.Accepted, message.StatusCode);
        var ledger = await control.LedgerAsync("shipping", ct);
        Assert.Equal((0, 1L), (ledger.DistinctEffects, ledger.Requests));
        var entry = Assert.Single((await control.RequestsAsync("provider=shipping", ct)).Requests);
        Assert.Equal((FakeServicesDefaults.Shipping, "outage", 503), (entry.Instance, entry.Fault, entry.Status));
    }

    [Fact]
    public async Task TooManyRequests_OnShipping_Answers429WithRetryAfterAndKeepsTheKey()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        await control.SetFaultsAsync(FakeServicesDefaults.Shipping, new { tooManyRequests = true, retryAfterSeconds = 3 }, ct);

        using var limited = await _factory.Shipping().LabelAsync(FakeServicesDefaults.ShippingApiKey, "key-1", ProviderApi.Label(), ct);
        using var cleared = await control.DeleteAsync($"/control/instances/{FakeServicesDefaults.Shipping}/faults", ct);
        using var retried = await _factory.Shipping().LabelAsync(FakeServicesDefaults.ShippingApiKey, "key-1", ProviderApi.Label(), ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), limited.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Equal(2, Assert.Single((await control.LedgerAsync("shipping", ct)).Effects).RequestCount);
    }

    [Fact]
    public async Task FailAfterEffect_OnShipping_Answers503ButReplaysTheLabelOnRetry()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        await control.SetFaultsAsync(FakeServicesDefaults.Shipping, new { failAfterEffect = true, untilSeconds = 5 }, ct);

        using var lost = await _factory.Shipping().LabelAsync(FakeServicesDefaults.ShippingApiKey, "key-1", ProviderApi.Label(), ct);
        _factory.Time.Advance(TimeSpan.FromSeconds(5));
        using var retried = await _factory.Shipping().LabelAsync(FakeServicesDefaults.ShippingApiKey, "key-1", ProviderApi.Label(), ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, lost.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        var ledger = await control.LedgerAsync("shipping", ct);
        var effect = Assert.Single(ledger.Effects);
        Assert.Equal(effect.Id, (await retried.Content.ReadFromJsonAsync<LabelDto>(ct))!.Id);
        Assert.Equal((0, 1L), (ledger.DuplicateEffects, ledger.Replays));
    }

    [Fact]
    public async Task Outage_OnCrm_Answers503WithoutAnEffectIsRecordedAndLeavesShippingServing()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        await control.SetFaultsAsync(FakeServicesDefaults.Crm, new { outage = true }, ct);

        using var contact = await _factory.Crm().PutContactAsync("c-1", "key-1", "{}", ct);
        using var label = await _factory.Shipping().LabelAsync(FakeServicesDefaults.ShippingApiKey, "key-1", ProviderApi.Label(), ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, contact.StatusCode);
        Assert.Equal("service_unavailable", (await contact.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
        Assert.Equal(HttpStatusCode.Created, label.StatusCode);
        var ledger = await control.LedgerAsync("crm", ct);
        Assert.Equal((0, 1L), (ledger.DistinctEffects, ledger.Requests));
        var recorded = Assert.Single(await control.CrmRequestsAsync("idempotencyKey=key-1", ct));
        Assert.Equal(("outage", 503, "{}"), (recorded.Fault, recorded.Status, recorded.Body));
    }

    [Fact]
    public async Task TooManyRequests_OnCrm_Answers429WithRetryAfterAndTheRetryTakesEffect()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        await control.SetFaultsAsync(FakeServicesDefaults.Crm, new { tooManyRequests = true, retryAfterSeconds = 4 }, ct);

        using var limited = await _factory.Crm().AddNoteAsync("c-1", "key-1", """{"text":"hi"}""", ct);
        using var cleared = await control.DeleteAsync($"/control/instances/{FakeServicesDefaults.Crm}/faults", ct);
        using var retried = await _factory.Crm().AddNoteAsync("c-1", "key-1", """{"text":"hi"}""", ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(4), limited.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Equal(2, Assert.Single((await control.LedgerAsync("crm", ct)).Effects).RequestCount);
        var attempts = await control.CrmRequestsAsync("idempotencyKey=key-1", ct);
        Assert.Equal([("too-many-requests", 429), (null, 201)], attempts.Select(r => (r.Fault, r.Status)));
        Assert.Single(attempts.Select(r => r.Body).Distinct());
    }

    [Fact]
    public async Task FailAfterEffect_OnCrm_Answers503ButReplaysTheContactOnRetry()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        await control.SetFaultsAsync(FakeServicesDefaults.Crm, new { failAfterEffect = true, untilSeconds = 5 }, ct);

        using var lost = await _factory.Crm().PutContactAsync("c-1", "key-1", """{"name":"Ada"}""", ct);
        _factory.Time.Advance(TimeSpan.FromSeconds(5));
        using var retried = await _factory.Crm().PutContactAsync("c-1", "key-1", """{"name":"Ada"}""", ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, lost.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(1, (await retried.Content.ReadFromJsonAsync<ContactDto>(ct))!.Version);
        var ledger = await control.LedgerAsync("crm", ct);
        Assert.Equal((1, 0, 1L), (ledger.DistinctEffects, ledger.DuplicateEffects, ledger.Replays));
        var attempts = await control.CrmRequestsAsync("idempotencyKey=key-1", ct);
        Assert.Equal([(503, true, false), (200, false, true)], attempts.Select(r => (r.Status, r.FaultAfterEffect, r.Replayed)));
    }

    [Fact]
    public async Task Latency_OnCrm_DelaysTheAnswerOnTheClockOfTheTimeProvider()
    {
        var ct = TestContext.Current.CancellationToken;
        await _factory.Control().SetFaultsAsync(FakeServicesDefaults.Crm, new { latencyMs = 30_000 }, ct);

        var call = _factory.Crm().DeleteContactAsync("c-1", "key-1", ct);
        for (var i = 0; i < 500 && !call.IsCompleted; i++)
        {
            _factory.Time.Advance(TimeSpan.FromSeconds(5));
            await Task.WhenAny(call, Task.Delay(TimeSpan.FromMilliseconds(20), ct));
        }

        Assert.True(call.IsCompleted, "the latency did not run on the injected TimeProvider");
        using var response = await call;
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var entry = Assert.Single((await _factory.Control().RequestsAsync("provider=crm", ct)).Requests);
        Assert.Equal(30_000, entry.LatencyMs);
        Assert.True(entry.CompletedAt - entry.ReceivedAt >= TimeSpan.FromSeconds(30), $"completed {entry.CompletedAt - entry.ReceivedAt} after arrival");
    }

    [Fact]
    public async Task ClearAllFaults_ClearsEveryInstance()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        await control.SetFaultsAsync(Primary, new { outage = true }, ct);
        await control.SetFaultsAsync(FakeServicesDefaults.Notifications, new { outage = true }, ct);
        await control.SetFaultsAsync(FakeServicesDefaults.Shipping, new { outage = true }, ct);
        await control.SetFaultsAsync(FakeServicesDefaults.Crm, new { outage = true }, ct);

        using var cleared = await control.DeleteAsync("/control/faults", ct);
        using var charge = await _factory.PaymentsPrimary().ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);
        using var message = await _factory.Notifications().MessageAsync(FakeServicesDefaults.NotificationsApiKey, "key-1", ProviderApi.Email(), ct);
        using var label = await _factory.Shipping().LabelAsync(FakeServicesDefaults.ShippingApiKey, "key-1", ProviderApi.Label(), ct);
        using var contact = await _factory.Crm().PutContactAsync("c-1", "key-1", "{}", ct);

        Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        Assert.Equal(HttpStatusCode.Created, charge.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, message.StatusCode);
        Assert.Equal(HttpStatusCode.Created, label.StatusCode);
        Assert.Equal(HttpStatusCode.OK, contact.StatusCode);
    }
}
