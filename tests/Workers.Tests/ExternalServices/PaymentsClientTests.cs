using System.Text.Json;
using Messaging.Contracts.Payments;
using Messaging.CommandTypes.Providers;

namespace Messaging.Workers.Tests.ExternalServices;

public sealed class PaymentsClientTests : IDisposable
{
    private readonly ProviderStub _stub = new();
    private readonly ExternalServicesHost _host;

    public PaymentsClientTests()
    {
        _host = new ExternalServicesHost(_stub.Configuration());
    }


    private static ChargePayment Charge() => new()
    {
        CommandId = Guid.NewGuid(),
        Tenant = "tenant-a",
        Amount = 12.50m,
        Currency = "EUR",
        CustomerId = "cus_42",
        Description = "Order 42",
    };

    [Fact]
    public async Task Charge_WhenProviderCreatesCharge_ReturnsResultWithProviderIdAndStatus()
    {
        _stub.WithToken("token-1").WithChargesCreated();
        var command = Charge();

        var outcome = await _host.Get<ChargeHandlerCall>().ChargeAsync(command, ExternalServicesHost.CallContext());

        Assert.True(outcome.Succeeded);
        using var result = JsonDocument.Parse(outcome.ResultJson!);
        Assert.Equal($"ch_{command.CommandId}", result.RootElement.GetProperty("providerId").GetString());
        Assert.Equal("succeeded", result.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Charge_SendsBearerTokenIdempotencyKeyAndBody()
    {
        _stub.WithToken("token-1").WithChargesCreated();
        var command = Charge();

        await _host.Get<ChargeHandlerCall>().ChargeAsync(command, ExternalServicesHost.CallContext());

        var request = Assert.Single(_stub.Requests(ProviderStub.ChargesPath));
        Assert.Equal("Bearer token-1", ProviderStub.Header(request, "Authorization"));
        Assert.Equal(command.CommandId.ToString(), ProviderStub.Header(request, "Idempotency-Key"));
        using var body = JsonDocument.Parse(request.Body!);
        Assert.Equal(12.50m, body.RootElement.GetProperty("amount").GetDecimal());
        Assert.Equal("EUR", body.RootElement.GetProperty("currency").GetString());
        Assert.Equal("cus_42", body.RootElement.GetProperty("customerId").GetString());
        Assert.Equal("Order 42", body.RootElement.GetProperty("description").GetString());
    }

    [Fact]
    public async Task Charge_WhenProviderDeclines_ReturnsRefusalWithoutRetrying()
    {
        var command = Charge();
        _stub.WithToken().WithChargesCreated().Answer(ProviderStub.ChargesPath, command.CommandId, 402, """{"error":"card_declined"}""");

        var outcome = await _host.Get<ChargeHandlerCall>().ChargeAsync(command, ExternalServicesHost.CallContext());

        Assert.False(outcome.Succeeded);
        Assert.Equal("card_declined", outcome.Refusal!.Code);
        Assert.Single(_stub.Requests(ProviderStub.ChargesPath));
    }

    [Fact]
    public async Task Charge_WhenProviderDeclinesWithSentence_KeepsAShortSafeMessage()
    {
        var command = Charge();
        var longReason = "Insufficient funds\u0007 " + new string('x', 500);
        _stub.WithToken().Answer(ProviderStub.ChargesPath, command.CommandId, 402, JsonSerializer.Serialize(new { error = longReason }));

        var outcome = await _host.Get<ChargeHandlerCall>().ChargeAsync(command, ExternalServicesHost.CallContext());

        Assert.Equal("payment_declined", outcome.Refusal!.Code);
        Assert.StartsWith("Insufficient funds x", outcome.Refusal.Message, StringComparison.Ordinal);
        Assert.True(outcome.Refusal.Message.Length <= 200);
    }

    [Fact]
    public async Task Charge_WhenTokenIsRejected_RefreshesItOnceAndRetriesOnce()
    {
        var command = Charge();
        _stub.WithTokens("token-1", "token-2").WithChargesCreated();
        _stub.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath(ProviderStub.ChargesPath).UsingPost()
                .WithHeader("Authorization", "Bearer token-1"))
            .AtPriority(1)
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(401));

        var outcome = await _host.Get<ChargeHandlerCall>().ChargeAsync(command, ExternalServicesHost.CallContext());

        Assert.True(outcome.Succeeded);
        var charges = _stub.Requests(ProviderStub.ChargesPath);
        Assert.Equal(["Bearer token-1", "Bearer token-2"], charges.Select(r => ProviderStub.Header(r, "Authorization")));
        Assert.All(charges, r => Assert.Equal(command.CommandId.ToString(), ProviderStub.Header(r, "Idempotency-Key")));
        Assert.Equal(2, _stub.Requests(ProviderStub.TokenPath).Count);
    }

    [Fact]
    public async Task Charge_WhenRefreshedTokenIsRejectedToo_FailsWithoutFurtherRetries()
    {
        var command = Charge();
        _stub.WithTokens("token-1", "token-2").Answer(ProviderStub.ChargesPath, command.CommandId, 401, "{}");

        var ex = await Assert.ThrowsAsync<ProviderException>(() => _host.Get<ChargeHandlerCall>().ChargeAsync(command, ExternalServicesHost.CallContext()));

        Assert.False(ex.IsTransient);
        Assert.Equal(2, _stub.Requests(ProviderStub.ChargesPath).Count);
        Assert.Equal(2, _stub.Requests(ProviderStub.TokenPath).Count);
    }

    [Fact]
    public async Task Charge_WhenProviderKeepsFailingWith503_ThrowsTransientAfterTryingEveryEndpoint()
    {
        var command = Charge();
        _stub.WithToken().Answer(ProviderStub.ChargesPath, command.CommandId, 503, """{"error":"unavailable"}""");

        var ex = await Assert.ThrowsAsync<ProviderException>(() => _host.Get<ChargeHandlerCall>().ChargeAsync(command, ExternalServicesHost.CallContext()));

        Assert.True(ex.IsTransient);
        // One attempt per endpoint (both on this server): payments endpoints are not retried, the next one is tried.
        Assert.Equal(2, _stub.Requests(ProviderStub.ChargesPath, command.CommandId).Count);
    }

    [Fact]
    public async Task Charge_WhenProviderRecoversWithinRetries_ReturnsTheResult()
    {
        var command = Charge();
        _stub.WithToken().WithChargesCreated().AnswerInTurn(ProviderStub.ChargesPath, command.CommandId, 503);

        var outcome = await _host.Get<ChargeHandlerCall>().ChargeAsync(command, ExternalServicesHost.CallContext());

        Assert.True(outcome.Succeeded);
        var charges = _stub.Requests(ProviderStub.ChargesPath, command.CommandId);
        Assert.Equal(2, charges.Count);
    }

    [Fact]
    public async Task Charge_WhenProviderIsUnreachable_ThrowsTransient()
    {
        var config = _stub.Configuration();
        config["ExternalServices:Payments:Endpoints:0"] = "http://127.0.0.1:1";
        config["ExternalServices:Payments:Endpoints:1"] = "http://127.0.0.1:9";
        _stub.WithToken();
        using var host = new ExternalServicesHost(config);

        var ex = await Assert.ThrowsAsync<ProviderException>(() => host.Get<ChargeHandlerCall>().ChargeAsync(Charge(), ExternalServicesHost.CallContext()));

        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task Charge_NeverLogsTheTokenOrTheClientSecret()
    {
        _stub.WithTokens("token-secret-value-1", "token-secret-value-2").WithChargesCreated();
        _stub.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath(ProviderStub.ChargesPath).UsingPost()
                .WithHeader("Authorization", "Bearer token-secret-value-1"))
            .AtPriority(1)
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(401));

        await _host.Get<ChargeHandlerCall>().ChargeAsync(Charge(), ExternalServicesHost.CallContext());

        var logged = _host.AllLogText();
        Assert.Contains("/v1/charges", logged, StringComparison.Ordinal); // requests are logged, their headers are not
        Assert.DoesNotContain("token-secret-value", logged, StringComparison.Ordinal);
        Assert.DoesNotContain(ProviderStub.ClientSecret, logged, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _host.Dispose();
        _stub.Dispose();
    }
}
