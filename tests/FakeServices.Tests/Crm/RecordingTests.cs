using System.Net;
using System.Net.Http.Json;
using Messaging.FakeServices.Tests.Infrastructure;

namespace Messaging.FakeServices.Tests.Crm;

/// <summary><c>GET /control/crm/requests</c>: what the CRM provider received, as sent on the wire, without secrets.</summary>
public sealed class RecordingTests : IAsyncLifetime
{
    private const string Traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private readonly FakeServicesFactory _factory = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task PutContact_IsRecordedWithMethodRawPathHeadersAndBody()
    {
        var ct = TestContext.Current.CancellationToken;
        const string body = """{ "name": "Ada",  "note": "spacing kept" }""";

        using var response = await _factory.Crm().CrmAsync(HttpMethod.Put, "/v1/contacts/c-1", "key-1", body, CrmAuth.Basic(), ct,
            r => r.Headers.Add("traceparent", Traceparent));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var recorded = Assert.Single(await _factory.Control().CrmRequestsAsync("idempotencyKey=key-1", ct));
        Assert.Equal((FakeServicesDefaults.Crm, "PUT", "/v1/contacts/c-1", null, "c-1"),
            (recorded.Instance, recorded.Method, recorded.RawPath, recorded.RawQuery, recorded.ContactId));
        Assert.Equal(new CrmHeadersDto("application/json; charset=utf-8", "key-1", Traceparent, "Basic", ApiKeyPresent: false), recorded.Headers);
        Assert.Equal(body, recorded.Body);
        Assert.Equal((200, null, false, false), (recorded.Status, recorded.Fault, recorded.FaultAfterEffect, recorded.Replayed));
        Assert.Equal(_factory.Time.GetUtcNow(), recorded.ReceivedAt);
    }

    // In memory (TestServer) there is no raw request target, so the path is escaped back from the decoded
    // one: exact for these. KestrelInstancesTests checks the raw target over a socket, %252F and %26 included.
    [Theory]
    [InlineData("/v1/contacts/a%2Fb%20c", "a/b c")]
    [InlineData("/v1/contacts/%C3%A9l%C3%A8ve%20%E2%82%AC", "élève €")]
    [InlineData("/v1/contacts/plus+sign", "plus+sign")]
    public async Task PutContact_WithEscapedCharacters_RoundTripsTheContactIdAndRecordsTheRawPath(string path, string contactId)
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Crm().CrmAsync(HttpMethod.Put, path, "key-1", "{}", CrmAuth.Basic(), ct);
        using var note = await _factory.Crm().CrmAsync(HttpMethod.Post, path + "/notes", "key-2", "{}", CrmAuth.Basic(), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contactId, (await response.Content.ReadFromJsonAsync<ContactDto>(ct))!.Id);
        Assert.Equal(HttpStatusCode.Created, note.StatusCode);
        Assert.Equal(contactId, (await note.Content.ReadFromJsonAsync<NoteDto>(ct))!.ContactId);
        var recorded = await _factory.Control().CrmRequestsAsync($"contactId={Uri.EscapeDataString(contactId)}", ct);
        Assert.Equal([path, path + "/notes"], recorded.Select(r => r.RawPath));
    }

    [Fact]
    public async Task Request_WithAQueryString_RecordsItRaw()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Crm().CrmAsync(HttpMethod.Put, "/v1/contacts/c-1?source=gateway&x=a%20b", "key-1", "{}", CrmAuth.Basic(), ct);

        var recorded = Assert.Single(await _factory.Control().CrmRequestsAsync("", ct));
        Assert.Equal(("/v1/contacts/c-1", "source=gateway&x=a%20b"), (recorded.RawPath, recorded.RawQuery));
    }

    [Fact]
    public async Task Recording_KeepsNoSecret()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();

        using var basic = await _factory.Crm().PutContactAsync("c-1", "key-1", "{}", ct);
        using var set = await control.PutAsJsonAsync("/control/crm/auth", new { mode = "ApiKey" }, ct);
        using var apiKey = await _factory.Crm().CrmAsync(HttpMethod.Put, "/v1/contacts/c-1", "key-2", "{}", CrmAuth.ApiKey(), ct);
        using var setBearer = await control.PutAsJsonAsync("/control/crm/auth", new { mode = "Bearer" }, ct);
        using var bearer = await _factory.Crm().CrmAsync(HttpMethod.Put, "/v1/contacts/c-1", "key-3", "{}", CrmAuth.Bearer(), ct);
        using var setNone = await control.PutAsJsonAsync("/control/crm/auth", new { mode = "None" }, ct);
        using var bare = await _factory.Crm().CrmAsync(HttpMethod.Put, "/v1/contacts/c-1", "key-4", "{}", auth: null, ct,
            r => r.Headers.TryAddWithoutValidation("Authorization", FakeServicesDefaults.CrmApiKey));

        var json = await control.GetStringAsync("/control/crm/requests", ct);
        var recorded = await control.CrmRequestsAsync("", ct);
        Assert.Equal(
            [("Basic", false), (null, true), ("Bearer", false), ("", false)],
            recorded.Select(r => (r.Headers.AuthorizationScheme, r.Headers.ApiKeyPresent)));
        Assert.DoesNotContain(FakeServicesDefaults.CrmPassword, json, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeServicesDefaults.CrmApiKey, json, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String("gateway:fake-crm-password"u8.ToArray()), json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_AreFilteredByKeyContactAndMethod_NewestLast()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.Crm();
        using var put = await client.PutContactAsync("c-1", "key-1", """{"v":1}""", ct);
        _factory.Time.Advance(TimeSpan.FromSeconds(1));
        using var replay = await client.PutContactAsync("c-1", "key-1", """{"v":1}""", ct);
        using var note = await client.AddNoteAsync("c-1", "key-2", """{"text":"x"}""", ct);
        using var other = await client.DeleteContactAsync("c-2", "key-3", ct);

        var byKey = await _factory.Control().CrmRequestsAsync("idempotencyKey=key-1", ct);
        var byContact = await _factory.Control().CrmRequestsAsync("contactId=c-1", ct);
        var deletes = await _factory.Control().CrmRequestsAsync("method=delete", ct);
        var all = await _factory.Control().CrmRequestsAsync("", ct);

        Assert.Equal(2, byKey.Count);
        Assert.True(byKey[0].Sequence < byKey[1].Sequence);
        Assert.True(byKey[0].ReceivedAt < byKey[1].ReceivedAt);
        Assert.Equal([false, true], byKey.Select(r => r.Replayed));
        Assert.Equal(["PUT", "PUT", "POST"], byContact.Select(r => r.Method));
        var delete = Assert.Single(deletes);
        Assert.Equal(("c-2", "", 204, (string?)null), (delete.ContactId, delete.Body, delete.Status, delete.Headers.ContentType));
        Assert.Equal(4, all.Count);
        Assert.Empty(await _factory.Control().CrmRequestsAsync("idempotencyKey=nope", ct));
    }

    [Fact]
    public async Task Request_WithoutAnIdempotencyKey_IsRecordedWithItsAnswer()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Crm().PutContactAsync("c-1", idempotencyKey: null, "{}", ct);

        var recorded = Assert.Single(await _factory.Control().CrmRequestsAsync("contactId=c-1", ct));
        Assert.Equal((400, (string?)null), (recorded.Status, recorded.Headers.IdempotencyKey));
    }

    [Fact]
    public async Task ResetLedger_ForTheCrm_ForgetsTheRecordedRequestsAndTheVersions()
    {
        var ct = TestContext.Current.CancellationToken;
        var control = _factory.Control();
        using var first = await _factory.Crm().PutContactAsync("c-1", "key-1", "{}", ct);
        using var label = await _factory.Shipping().LabelAsync(FakeServicesDefaults.ShippingApiKey, "key-1", ProviderApi.Label(), ct);

        using var reset = await control.DeleteAsync("/control/ledger?provider=crm", ct);
        var emptied = await control.CrmRequestsAsync("", ct);
        using var again = await _factory.Crm().PutContactAsync("c-1", "key-1", "{}", ct);

        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Empty(emptied);
        var contact = (await again.Content.ReadFromJsonAsync<ContactDto>(ct))!;
        Assert.Equal(1, contact.Version);
        Assert.False(Assert.Single(await control.CrmRequestsAsync("", ct)).Replayed);
        Assert.Equal(1, (await control.LedgerAsync("shipping", ct)).DistinctEffects);
    }

    [Fact]
    public async Task Reset_ForgetsTheRecordedRequests()
    {
        var ct = TestContext.Current.CancellationToken;
        using var put = await _factory.Crm().PutContactAsync("c-1", "key-1", "{}", ct);

        using var reset = await _factory.Control().PostAsync("/control/reset", content: null, ct);

        Assert.Empty(await _factory.Control().CrmRequestsAsync("", ct));
    }

    [Fact]
    public async Task Recording_KeepsAtMostMaxRecordedRequests_DroppingTheOldest()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new FakeServicesFactory(("FakeServices:Crm:MaxRecordedRequests", "2"));
        for (var i = 1; i <= 3; i++)
        {
            using var response = await factory.Crm().PutContactAsync($"c-{i}", $"key-{i}", "{}", ct);
        }

        var recorded = await factory.Control().CrmRequestsAsync("", ct);

        Assert.Equal(["c-2", "c-3"], recorded.Select(r => r.ContactId));
        Assert.Equal(3, (await factory.Control().LedgerAsync("crm", ct)).DistinctEffects);
    }

    [Fact]
    public async Task RequestLog_OfTheLedger_ListsCrmCalls()
    {
        var ct = TestContext.Current.CancellationToken;
        using var put = await _factory.Crm().PutContactAsync("c-1", "key-1", "{}", ct);

        var log = await _factory.Control().RequestsAsync("provider=crm", ct);

        var entry = Assert.Single(log.Requests);
        Assert.Equal(("crm", FakeServicesDefaults.Crm, "PUT", "/v1/contacts/c-1", "key-1", 200), (log.Provider, entry.Instance, entry.Method, entry.Path, entry.IdempotencyKey, entry.Status));
    }
}
