using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.FakeServices.Tests.Infrastructure;

namespace Messaging.FakeServices.Tests.Crm;

/// <summary>The CRM provider's routes with the default (Basic) authentication: answers, replays, refusals, the big body.</summary>
public sealed class ContactsTests : IAsyncLifetime
{
    private const string Ada = """{"name":"Ada Lovelace","email":"ada@example.com","tags":["vip"],"score":12.5}""";
    private readonly FakeServicesFactory _factory = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task PutContact_Returns200WithIdVersionAndTheReceivedBody()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Crm().PutContactAsync("c-1", "key-1", Ada, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var contact = (await response.Content.ReadFromJsonAsync<ContactDto>(ct))!;
        Assert.Equal(("c-1", 1), (contact.Id, contact.Version));
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(Ada).RootElement, contact.Received), contact.Received.GetRawText());
        var effect = Assert.Single((await _factory.Control().LedgerAsync("crm", ct)).Effects);
        Assert.Equal(("key-1", "contact:c-1:v1", FakeServicesDefaults.Crm, 200), (effect.IdempotencyKey, effect.Id, effect.Instance, effect.Status));
    }

    [Fact]
    public async Task PutContact_WithANewKey_IncrementsTheVersion_AndDeleteStartsItOver()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.Crm();

        using var first = await client.PutContactAsync("c-1", "key-1", Ada, ct);
        using var second = await client.PutContactAsync("c-1", "key-2", """{"name":"Ada King"}""", ct);
        using var deleted = await client.DeleteContactAsync("c-1", "key-3", ct);
        using var recreated = await client.PutContactAsync("c-1", "key-4", Ada, ct);

        Assert.Equal(1, (await first.Content.ReadFromJsonAsync<ContactDto>(ct))!.Version);
        var updated = (await second.Content.ReadFromJsonAsync<ContactDto>(ct))!;
        Assert.Equal((2, "Ada King"), (updated.Version, updated.Received.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(1, (await recreated.Content.ReadFromJsonAsync<ContactDto>(ct))!.Version);
        Assert.Equal(4, (await _factory.Control().LedgerAsync("crm", ct)).DistinctEffects);
    }

    [Fact]
    public async Task AddNote_Returns201WithANoteIdAndTheContactId()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Crm().AddNoteAsync("c-1", "key-1", """{"text":"Called back"}""", ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var note = (await response.Content.ReadFromJsonAsync<NoteDto>(ct))!;
        Assert.StartsWith("note_", note.NoteId, StringComparison.Ordinal);
        Assert.Equal("c-1", note.ContactId);
        Assert.Equal(note.NoteId, Assert.Single((await _factory.Control().LedgerAsync("crm", ct)).Effects).Id);
    }

    [Fact]
    public async Task DeleteContact_WithoutABody_Returns204WithNoContent()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Crm().DeleteContactAsync("c-1", "key-1", ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(ct));
        Assert.Equal("deleted:c-1", Assert.Single((await _factory.Control().LedgerAsync("crm", ct)).Effects).Id);
    }

    [Fact]
    public async Task DeleteContact_WithAJsonObjectBody_Returns204()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Crm().CrmAsync(HttpMethod.Delete, "/v1/contacts/c-1", "key-1", """{"reason":"gdpr"}""", CrmAuth.Basic(), ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task PutContact_WithTheSameKeyTwice_ReplaysTheFirstAnswerWithOneEffect()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.Crm();

        using var first = await client.PutContactAsync("c-1", "key-1", Ada, ct);
        using var second = await client.PutContactAsync("c-1", "key-1", """{"name":"someone else"}""", ct);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(ct), await second.Content.ReadAsStringAsync(ct));
        var ledger = await _factory.Control().LedgerAsync("crm", ct);
        Assert.Equal((1, 0, 1L), (ledger.DistinctEffects, ledger.DuplicateEffects, ledger.EffectsProduced));
        Assert.Equal((2L, 1L, 1L), (ledger.Requests, ledger.Replays, ledger.MismatchedReplays));
        Assert.Equal([false, true], (await _factory.Control().CrmRequestsAsync("idempotencyKey=key-1", ct)).Select(r => r.Replayed));
    }

    [Fact]
    public async Task AddNote_WithTheSameKeyTwice_ReturnsTheSameNote()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.Crm();

        using var first = await client.AddNoteAsync("c-1", "key-1", """{"text":"hi"}""", ct);
        using var second = await client.AddNoteAsync("c-1", "key-1", """{"text":"hi"}""", ct);

        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal((await first.Content.ReadFromJsonAsync<NoteDto>(ct))!.NoteId, (await second.Content.ReadFromJsonAsync<NoteDto>(ct))!.NoteId);
        var ledger = await _factory.Control().LedgerAsync("crm", ct);
        Assert.Equal((1, 1L, 0L), (ledger.DistinctEffects, ledger.Replays, ledger.MismatchedReplays));
    }

    [Fact]
    public async Task DeleteContact_WithTheSameKeyTwice_Answers204TwiceWithOneEffect()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.Crm();

        using var first = await client.DeleteContactAsync("c-1", "key-1", ct);
        using var second = await client.DeleteContactAsync("c-1", "key-1", ct);

        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NoContent), (first.StatusCode, second.StatusCode));
        Assert.Empty(await second.Content.ReadAsByteArrayAsync(ct));
        var ledger = await _factory.Control().LedgerAsync("crm", ct);
        Assert.Equal((1, 1L), (ledger.DistinctEffects, ledger.Replays));
    }

    [Theory]
    [InlineData("PUT", "/v1/contacts/rejected")]
    [InlineData("POST", "/v1/contacts/rejected/notes")]
    [InlineData("DELETE", "/v1/contacts/rejected")]
    public async Task AnyRoute_ForTheRejectedContact_Returns422InvalidContactAsARefusalThatIsReplayed(string method, string path)
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.Crm();

        using var response = await client.CrmAsync(new HttpMethod(method), path, "key-1", "{}", CrmAuth.Basic(), ct);
        using var retried = await client.CrmAsync(new HttpMethod(method), path, "key-1", "{}", CrmAuth.Basic(), ct);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<CrmErrorDto>(ct))!.Error;
        Assert.Equal("invalid_contact", error.Code);
        Assert.False(string.IsNullOrEmpty(error.Message));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, retried.StatusCode);
        var ledger = await _factory.Control().LedgerAsync("crm", ct);
        Assert.Equal((1, 0, 1L), (ledger.Refusals, ledger.DistinctEffects, ledger.Replays));
    }

    [Theory]
    [InlineData("PUT", "/v1/contacts/gone")]
    [InlineData("POST", "/v1/contacts/gone/notes")]
    [InlineData("DELETE", "/v1/contacts/gone")]
    public async Task AnyRoute_ForTheGoneContact_Returns404NotFoundAsARefusal(string method, string path)
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Crm().CrmAsync(new HttpMethod(method), path, "key-1", "{}", CrmAuth.Basic(), ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found", (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
        var ledger = await _factory.Control().LedgerAsync("crm", ct);
        Assert.Equal((1, 0), (ledger.Refusals, ledger.DistinctEffects));
    }

    [Theory]
    [InlineData("PUT", "/v1/contacts/big", HttpStatusCode.OK)]
    [InlineData("POST", "/v1/contacts/big/notes", HttpStatusCode.Created)]
    [InlineData("DELETE", "/v1/contacts/big", HttpStatusCode.OK)]
    public async Task AnyRoute_ForTheBigContact_AnswersAJsonBodyLargerThan20KiB(string method, string path, HttpStatusCode expected)
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Crm().CrmAsync(new HttpMethod(method), path, "key-1", """{"name":"Big"}""", CrmAuth.Basic(), ct);

        Assert.Equal(expected, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        Assert.True(bytes.Length > 20 * 1024, $"{bytes.Length} bytes");
        using var body = JsonDocument.Parse(bytes);
        Assert.Equal(JsonValueKind.Object, body.RootElement.ValueKind);
        Assert.True(body.RootElement.GetProperty("padding").GetString()!.Length >= 20 * 1024);
    }

    [Fact]
    public async Task PutContact_ForTheBigContact_KeepsTheUsualFields()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Crm().PutContactAsync(FakeServicesDefaults.BigContactId, "key-1", """{"name":"Big"}""", ct);

        var contact = (await response.Content.ReadFromJsonAsync<ContactDto>(ct))!;
        Assert.Equal(("big", 1, "Big"), (contact.Id, contact.Version, contact.Received.GetProperty("name").GetString()));
    }

    [Theory]
    [InlineData(null, "missing_idempotency_key")]
    [InlineData("has space", "invalid_idempotency_key")]
    public async Task PutContact_WithoutAValidIdempotencyKey_Returns400(string? key, string error)
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Crm().PutContactAsync("c-1", key, Ada, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(error, (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
        Assert.Equal(0, (await _factory.Control().LedgerAsync("crm", ct)).DistinctEffects);
    }

    [Theory]
    [InlineData("PUT", "/v1/contacts/c-1", "")]
    [InlineData("PUT", "/v1/contacts/c-1", "not json")]
    [InlineData("PUT", "/v1/contacts/c-1", "[1,2]")]
    [InlineData("PUT", "/v1/contacts/c-1", "\"text\"")]
    [InlineData("POST", "/v1/contacts/c-1/notes", "")]
    [InlineData("POST", "/v1/contacts/c-1/notes", "{\"text\":")]
    [InlineData("DELETE", "/v1/contacts/c-1", "42")]
    public async Task AnyRoute_WithABodyThatIsNotAJsonObject_Returns400InvalidRequestAndKeepsTheKey(string method, string path, string body)
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _factory.Crm();

        using var response = await client.CrmAsync(new HttpMethod(method), path, "key-1", body, CrmAuth.Basic(), ct);
        using var valid = await client.CrmAsync(new HttpMethod(method), path, "key-1", "{}", CrmAuth.Basic(), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
        Assert.True(valid.IsSuccessStatusCode, $"{valid.StatusCode}");
        Assert.Equal(1, (await _factory.Control().LedgerAsync("crm", ct)).DistinctEffects);
    }

    [Fact]
    public async Task PutContact_OnTheShippingPort_Returns404NotFoundAndIsNotRecorded()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await _factory.Shipping().PutContactAsync("c-1", "key-1", Ada, ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found", (await response.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
        Assert.Empty(await _factory.Control().CrmRequestsAsync("", ct));
    }

    [Fact]
    public async Task Keys_OfShipping_DoNotCollideWithTheCrm()
    {
        var ct = TestContext.Current.CancellationToken;

        using var label = await _factory.Shipping().LabelAsync(FakeServicesDefaults.ShippingApiKey, "shared-key", ProviderApi.Label(), ct);
        using var contact = await _factory.Crm().PutContactAsync("c-1", "shared-key", Ada, ct);

        Assert.Equal(HttpStatusCode.Created, label.StatusCode);
        Assert.Equal(HttpStatusCode.OK, contact.StatusCode);
        Assert.Equal("c-1", (await contact.Content.ReadFromJsonAsync<ContactDto>(ct))!.Id);
    }
}
