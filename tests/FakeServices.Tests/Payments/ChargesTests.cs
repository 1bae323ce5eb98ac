using System.Net;
using System.Net.Http.Json;
using Messaging.FakeServices.Tests.Infrastructure;

namespace Messaging.FakeServices.Tests.Payments;

public sealed class ChargesTests : IAsyncLifetime
{
    private readonly FakeServicesFactory _factory = new();
    private string _token = string.Empty;

    public async ValueTask InitializeAsync() =>
        _token = (await _factory.PaymentsPrimary().TokenAsync(TestContext.Current.CancellationToken)).AccessToken;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task Charge_WithValidRequest_Returns201WithChargeId()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.PaymentsPrimary().ChargeAsync(_token, "key-1", ProviderApi.Charge(amount: 42.10m, currency: "USD"), ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var charge = await response.Content.ReadFromJsonAsync<ChargeDto>(ct);
        Assert.StartsWith("ch_", charge!.Id, StringComparison.Ordinal);
        Assert.Equal("succeeded", charge.Status);
        Assert.Equal(42.10m, charge.Amount);
        Assert.Equal("USD", charge.Currency);
    }

    [Fact]
    public async Task Charge_WithSameKeyTwice_ReturnsSameBodyAndProducesOneEffect()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.PaymentsPrimary();

        using var first = await client.ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);
        using var second = await client.ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(ct), await second.Content.ReadAsStringAsync(ct));
        var ledger = await _factory.Control().LedgerAsync("payments", ct);
        var effect = Assert.Single(ledger.Effects);
        Assert.Equal("key-1", effect.IdempotencyKey);
        Assert.Equal(2, effect.RequestCount);
        Assert.Equal(FakeServicesDefaults.PaymentsPrimary, effect.Instance);
        Assert.Equal(1, ledger.DistinctEffects);
        Assert.Equal(0, ledger.DuplicateEffects);
        Assert.Equal(1, ledger.Replays);
    }

    [Fact]
    public async Task Charge_WithSameKeyOnBothInstances_ProducesOneEffectFromTheFirstInstance()
    {
        var ct = TestContext.Current.CancellationToken;

        using var first = await _factory.PaymentsSecondary().ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);
        using var second = await _factory.PaymentsPrimary().ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);

        var firstCharge = await first.Content.ReadFromJsonAsync<ChargeDto>(ct);
        var secondCharge = await second.Content.ReadFromJsonAsync<ChargeDto>(ct);
        Assert.Equal(firstCharge!.Id, secondCharge!.Id);
        var effect = Assert.Single((await _factory.Control().LedgerAsync("payments", ct)).Effects);
        Assert.Equal(FakeServicesDefaults.PaymentsSecondary, effect.Instance);
        Assert.Equal(firstCharge.Id, effect.Id);
    }

    [Fact]
    public async Task Charge_With50ConcurrentRequestsWithOneKey_ProducesOneEffect()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.PaymentsPrimary();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct)));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync(ct)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Single(bodies.Distinct());
        var ledger = await _factory.Control().LedgerAsync("payments", ct);
        Assert.Equal(1, ledger.DistinctEffects);
        Assert.Equal(1, ledger.EffectsProduced);
        Assert.Equal(50, Assert.Single(ledger.Effects).RequestCount);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Charge_ForDeclinedCustomer_Returns402AndReplaysIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.PaymentsPrimary();

        using var first = await client.ChargeAsync(_token, "key-1", ProviderApi.Charge(FakeServicesDefaults.DeclinedCustomerId), ct);
        using var again = await client.ChargeAsync(_token, "key-1", ProviderApi.Charge(FakeServicesDefaults.DeclinedCustomerId), ct);

        Assert.Equal(HttpStatusCode.PaymentRequired, first.StatusCode);
        Assert.Equal("card_declined", (await first.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
        Assert.Equal(HttpStatusCode.PaymentRequired, again.StatusCode);
        var ledger = await _factory.Control().LedgerAsync("payments", ct);
        Assert.Equal(0, ledger.DistinctEffects);
        Assert.Equal(1, ledger.Refusals);
    }

    [Fact]
    public async Task Charge_WithoutIdempotencyKey_Returns400()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.PaymentsPrimary().ChargeAsync(_token, idempotencyKey: null, ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("missing_idempotency_key", (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
    }

    [Fact]
    public async Task Charge_WithInvalidBody_Returns400AndDoesNotConsumeTheKey()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.PaymentsPrimary();

        using var invalid = await client.ChargeAsync(_token, "key-1", new { amount = -1, currency = "EUR", customerId = "cus_1" }, ct);
        using var valid = await client.ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("invalid_request", (await invalid.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
        Assert.Equal(HttpStatusCode.Created, valid.StatusCode);
    }

    [Fact]
    public async Task Charge_ReplayedWithOtherBody_ReturnsFirstAnswerAndCountsTheMismatch()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.PaymentsPrimary();

        using var first = await client.ChargeAsync(_token, "key-1", ProviderApi.Charge(amount: 10m), ct);
        using var other = await client.ChargeAsync(_token, "key-1", ProviderApi.Charge(amount: 99m), ct);

        Assert.Equal(10m, (await other.Content.ReadFromJsonAsync<ChargeDto>(ct))!.Amount);
        var ledger = await _factory.Control().LedgerAsync("payments", ct);
        Assert.Equal(1, ledger.MismatchedReplays);
        Assert.Equal(1, Assert.Single(ledger.Effects).MismatchedRequests);
    }

    [Fact]
    public async Task Charge_ReplayedWithSameAmountWrittenDifferently_IsNotAMismatch()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.PaymentsPrimary();

        using var first = await client.ChargeAsync(_token, "key-1", ProviderApi.Charge(amount: 12.5m), ct);
        using var again = await client.ChargeAsync(_token, "key-1", ProviderApi.Charge(amount: 12.50m), ct);

        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(0, (await _factory.Control().LedgerAsync("payments", ct)).MismatchedReplays);
    }

    [Fact]
    public async Task Charge_OnNotificationsPort_Returns404AndProducesNoEffect()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Notifications().ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, (await _factory.Control().LedgerAsync("payments", ct)).DistinctEffects);
    }

    [Fact]
    public async Task Charge_OnUnconfiguredPort_Returns404UnknownInstance()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.ClientFor("http://127.0.0.1:5999").ChargeAsync(_token, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("unknown_instance", (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
    }
}
