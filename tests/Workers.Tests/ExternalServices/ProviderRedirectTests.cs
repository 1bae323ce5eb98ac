using Messaging.CommandTypes.Providers;
using Messaging.Contracts.Payments;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Messaging.Workers.Tests.ExternalServices;

/// <summary>
/// A provider's or token endpoint's redirect is an answer, not an instruction: following a 307 would re-send the body
/// (for a token request, client_secret) to an address nobody configured.
/// </summary>
public sealed class ProviderRedirectTests : IDisposable
{
    private const string StolenTokenPath = "/attacker/oauth/token";
    private const string StolenChargesPath = "/attacker/v1/charges";

    private readonly ProviderStub _stub = new();
    private readonly ExternalServicesHost _host;

    public ProviderRedirectTests()
    {
        _host = new ExternalServicesHost(_stub.Configuration());
    }

    [Fact]
    public async Task Charge_WhenTheTokenUrlRedirects_DoesNotFollowIt_AndNeverSendsTheSecretElsewhere()
    {
        RedirectPost(ProviderStub.TokenPath, StolenTokenPath);
        _stub.WithChargesCreated();

        await Assert.ThrowsAnyAsync<Exception>(() => _host.Get<ChargeHandlerCall>().ChargeAsync(Charge(), ExternalServicesHost.CallContext()));

        Assert.NotEmpty(_stub.Requests(ProviderStub.TokenPath));
        Assert.Empty(_stub.Requests(StolenTokenPath));
        Assert.Empty(_stub.Requests(ProviderStub.ChargesPath)); // no token, no charge
        Assert.All(_stub.Server.LogEntries.Where(e => e.RequestMessage.Path != ProviderStub.TokenPath),
            e => Assert.DoesNotContain(ProviderStub.ClientSecret, e.RequestMessage.Body ?? "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Charge_WhenTheProviderRedirects_DoesNotFollowIt()
    {
        _stub.WithToken();
        RedirectPost(ProviderStub.ChargesPath, StolenChargesPath);

        var ex = await Assert.ThrowsAsync<ProviderException>(() => _host.Get<ChargeHandlerCall>().ChargeAsync(Charge(), ExternalServicesHost.CallContext()));

        Assert.Contains("307", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_stub.Requests(StolenChargesPath));
    }

    private void RedirectPost(string path, string location)
    {
        _stub.Server.Given(Request.Create().WithPath(path).UsingPost()).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(307).WithHeader("Location", _stub.Server.Url + location));
        _stub.Server.Given(Request.Create().WithPath(location).UsingPost()).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody("""{"access_token":"stolen","token_type":"Bearer","expires_in":3600,"id":"ch_stolen","status":"succeeded"}"""));
    }

    private static ChargePayment Charge() => new()
    {
        CommandId = Guid.NewGuid(),
        Tenant = "tenant-a",
        Amount = 1m,
        Currency = "EUR",
        CustomerId = "cus_1",
    };

    public void Dispose()
    {
        _host.Dispose();
        _stub.Dispose();
    }
}
