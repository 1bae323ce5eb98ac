using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Messaging.FakeServices.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace Messaging.FakeServices.Tests.Instances;

/// <summary>
/// The real thing: Kestrel on five free loopback ports (one per default instance, so a running FakeServices
/// on the default ports does not get in the way), where the local port of the connection (not a
/// header) decides the instance.
/// </summary>
public sealed class KestrelInstancesTests : IAsyncLifetime
{
    private readonly WebApplicationFactory<Program> _factory;
    private readonly string _primaryUrl;
    private readonly string _secondaryUrl;
    private readonly string _notificationsUrl;
    private readonly string _shippingUrl;
    private readonly string _crmUrl;
    private readonly List<HttpClient> _clients = [];

    public KestrelInstancesTests()
    {
        var ports = FreeLoopbackPorts(5);
        _primaryUrl = $"http://127.0.0.1:{ports[0]}";
        _secondaryUrl = $"http://127.0.0.1:{ports[1]}";
        _notificationsUrl = $"http://127.0.0.1:{ports[2]}";
        _shippingUrl = $"http://127.0.0.1:{ports[3]}";
        _crmUrl = $"http://127.0.0.1:{ports[4]}";
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder => builder
            .UseSetting($"FakeServices:Instances:{FakeServicesDefaults.PaymentsPrimary}:Url", _primaryUrl)
            .UseSetting($"FakeServices:Instances:{FakeServicesDefaults.PaymentsSecondary}:Url", _secondaryUrl)
            .UseSetting($"FakeServices:Instances:{FakeServicesDefaults.Notifications}:Url", _notificationsUrl)
            .UseSetting($"FakeServices:Instances:{FakeServicesDefaults.Shipping}:Url", _shippingUrl)
            .UseSetting($"FakeServices:Instances:{FakeServicesDefaults.Crm}:Url", _crmUrl)
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning)));
        _factory.UseKestrel();
    }

    public ValueTask InitializeAsync()
    {
        _factory.StartServer();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Requests_AreAttributedToTheInstanceOfTheLocalPort()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = await Client(_primaryUrl).TokenAsync(ct);

        using var charge = await Client(_secondaryUrl).ChargeAsync(token.AccessToken, "key-1", ProviderApi.Charge(), ct);
        using var message = await Client(_notificationsUrl).MessageAsync(FakeServicesDefaults.NotificationsApiKey, "key-1", ProviderApi.Email(), ct);
        using var label = await Client(_shippingUrl).LabelAsync(FakeServicesDefaults.ShippingApiKey, "key-1", ProviderApi.Label(), ct);

        Assert.Equal(HttpStatusCode.Created, charge.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, message.StatusCode);
        Assert.Equal(HttpStatusCode.Created, label.StatusCode);
        var payments = await Client(_notificationsUrl).LedgerAsync("payments", ct);
        Assert.Equal(FakeServicesDefaults.PaymentsSecondary, Assert.Single(payments.Effects).Instance);
        Assert.Equal(1, payments.RequestsByInstance[FakeServicesDefaults.PaymentsPrimary]);
        var notifications = await Client(_primaryUrl).LedgerAsync("notifications", ct);
        Assert.Equal(FakeServicesDefaults.Notifications, Assert.Single(notifications.Effects).Instance);
        var shipping = await Client(_primaryUrl).LedgerAsync("shipping", ct);
        Assert.Equal(FakeServicesDefaults.Shipping, Assert.Single(shipping.Effects).Instance);
    }

    [Fact]
    public async Task Crm_IsServedOnItsOwnPortOnly()
    {
        var ct = TestContext.Current.CancellationToken;

        using var contact = await Client(_crmUrl).PutContactAsync("c-1", "key-1", "{}", ct);
        using var elsewhere = await Client(_shippingUrl).PutContactAsync("c-1", "key-2", "{}", ct);

        Assert.Equal(HttpStatusCode.OK, contact.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
        var crm = await Client(_primaryUrl).LedgerAsync("crm", ct);
        Assert.Equal(FakeServicesDefaults.Crm, Assert.Single(crm.Effects).Instance);
    }

    // Kestrel leaves %2F escaped in the decoded path, so the route does not split the segment; the contact id
    // comes from the raw request target, fully unescaped (%252F is the text %2F, not a slash).
    [Theory]
    [InlineData("/v1/contacts/a%2Fb%20c", "a/b c")]
    [InlineData("/v1/contacts/%C3%A9l%C3%A8ve%20%E2%82%AC", "élève €")]
    [InlineData("/v1/contacts/a%252Fb", "a%2Fb")]
    [InlineData("/v1/contacts/a%3Fb%23c%26d", "a?b#c&d")]
    [InlineData("/v1/contacts/plus+sign", "plus+sign")]
    [InlineData("/v1/contacts/%2F", "/")]
    public async Task Crm_OverASocket_RoundTripsEscapedContactIdsAndRecordsTheRawPath(string path, string contactId)
    {
        var ct = TestContext.Current.CancellationToken;
        var crm = Client(_crmUrl);

        using var contact = await crm.CrmAsync(HttpMethod.Put, path, "key-1", "{}", CrmAuth.Basic(), ct);
        using var note = await crm.CrmAsync(HttpMethod.Post, path + "/notes", "key-2", "{}", CrmAuth.Basic(), ct);
        using var deleted = await crm.CrmAsync(HttpMethod.Delete, path + "?hard=true", "key-3", body: null, CrmAuth.Basic(), ct);

        Assert.Equal(HttpStatusCode.OK, contact.StatusCode);
        Assert.Equal(contactId, (await contact.Content.ReadFromJsonAsync<ContactDto>(ct))!.Id);
        Assert.Equal(HttpStatusCode.Created, note.StatusCode);
        Assert.Equal(contactId, (await note.Content.ReadFromJsonAsync<NoteDto>(ct))!.ContactId);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var recorded = await Client(_primaryUrl).CrmRequestsAsync($"contactId={Uri.EscapeDataString(contactId)}", ct);
        Assert.Equal(
            [("PUT", path, (string?)null), ("POST", path + "/notes", null), ("DELETE", path, "hard=true")],
            recorded.Select(r => (r.Method, r.RawPath, r.RawQuery)));
    }

    [Fact]
    public async Task Charge_OnTheNotificationsPort_Returns404()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = await Client(_primaryUrl).TokenAsync(ct);

        using var response = await Client(_notificationsUrl).ChargeAsync(token.AccessToken, "key-1", ProviderApi.Charge(), ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Charge_With50ConcurrentRequestsWithOneKeyOverBothInstances_ProducesOneEffect()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = (await Client(_primaryUrl).TokenAsync(ct)).AccessToken;
        var primary = Client(_primaryUrl);
        var secondary = Client(_secondaryUrl);

        var responses = await Task.WhenAll(Enumerable.Range(0, 50)
            .Select(i => (i % 2 == 0 ? primary : secondary).ChargeAsync(token, "key-1", ProviderApi.Charge(), ct)));
        var ids = await Task.WhenAll(responses.Select(async r => (await r.Content.ReadFromJsonAsync<ChargeDto>(ct))!.Id));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Single(ids.Distinct());
        var ledger = await primary.LedgerAsync("payments", ct);
        Assert.Equal((1, 0, 1L), (ledger.DistinctEffects, ledger.DuplicateEffects, ledger.EffectsProduced));
        Assert.Equal(50, Assert.Single(ledger.Effects).RequestCount);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task ResetConnections_AbortsTheConnectionWithoutAnEffect()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = await Client(_primaryUrl).TokenAsync(ct);
        await Client(_notificationsUrl).SetFaultsAsync(FakeServicesDefaults.PaymentsPrimary, new { resetConnections = true }, ct);

        await Assert.ThrowsAsync<HttpRequestException>(() => Client(_primaryUrl).ChargeAsync(token.AccessToken, "key-1", ProviderApi.Charge(), ct));

        var ledger = await Client(_notificationsUrl).LedgerAsync("payments", ct);
        Assert.Equal(0, ledger.DistinctEffects);
        var entry = Assert.Single((await Client(_notificationsUrl).RequestsAsync("provider=payments&path=/v1/charges", ct)).Requests);
        Assert.Equal(("reset", 0), (entry.Fault, entry.Status));
    }

    [Fact]
    public async Task ResetConnectionsAfterEffect_LosesTheAnswerButKeepsTheEffectForTheRetry()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = await Client(_primaryUrl).TokenAsync(ct);
        var control = Client(_notificationsUrl);
        await control.SetFaultsAsync(FakeServicesDefaults.PaymentsPrimary, new { resetConnections = true, failAfterEffect = true }, ct);

        await Assert.ThrowsAsync<HttpRequestException>(() => Client(_primaryUrl).ChargeAsync(token.AccessToken, "key-1", ProviderApi.Charge(), ct));
        using var retried = await Client(_secondaryUrl).ChargeAsync(token.AccessToken, "key-1", ProviderApi.Charge(), ct);

        var effect = Assert.Single((await control.LedgerAsync("payments", ct)).Effects);
        Assert.Equal(FakeServicesDefaults.PaymentsPrimary, effect.Instance);
        Assert.Equal(effect.Id, (await retried.Content.ReadFromJsonAsync<ChargeDto>(ct))!.Id);
    }

    [Fact]
    public async Task ResetConnections_OnCrm_AbortsTheConnectionAndRecordsTheAttempt()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = Client(_primaryUrl);
        await control.SetFaultsAsync(FakeServicesDefaults.Crm, new { resetConnections = true }, ct);

        await Assert.ThrowsAsync<HttpRequestException>(() => Client(_crmUrl).PutContactAsync("c-1", "key-1", "{}", ct));

        Assert.Equal(0, (await control.LedgerAsync("crm", ct)).DistinctEffects);
        var recorded = Assert.Single(await control.CrmRequestsAsync("idempotencyKey=key-1", ct));
        Assert.Equal(("reset", 0), (recorded.Fault, recorded.Status));
    }

    private HttpClient Client(string baseAddress)
    {
        // A fresh connection pool per client: a reset connection must not poison other calls.
        var client = new HttpClient { BaseAddress = new Uri(baseAddress) };
        _clients.Add(client);
        return client;
    }

    private static int[] FreeLoopbackPorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }
}
