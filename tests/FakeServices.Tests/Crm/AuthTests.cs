using System.Net;
using System.Net.Http.Json;
using Messaging.FakeServices.Tests.Infrastructure;

namespace Messaging.FakeServices.Tests.Crm;

/// <summary>The CRM provider's authentication modes, set by configuration (<c>FakeServices:Crm:Auth</c>) or the control API.</summary>
public sealed class AuthTests
{
    private const string Body = """{"name":"Ada"}""";

    public static TheoryData<string, string> WrongCredentials => new()
    {
        { "Basic", "none" },
        { "Basic", "basic-wrong-password" },
        { "Basic", "basic-wrong-user" },
        { "Basic", "basic-not-base64" },
        { "Basic", "api-key" },
        { "Basic", "bearer" },
        { "ApiKey", "none" },
        { "ApiKey", "api-key-wrong" },
        { "ApiKey", "api-key-twice" },
        { "ApiKey", "bearer" },
        { "ApiKey", "basic" },
        { "Bearer", "none" },
        { "Bearer", "bearer-wrong" },
        { "Bearer", "api-key" },
        { "Bearer", "basic" },
    };

    [Theory]
    [MemberData(nameof(WrongCredentials))]
    public async Task AnyRoute_WithWrongOrMissingCredentials_Returns401UnauthorizedAndIsNotRecorded(string mode, string credentials)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new FakeServicesFactory(("FakeServices:Crm:Auth", mode));
        var client = factory.Crm();

        using var put = await client.CrmAsync(HttpMethod.Put, "/v1/contacts/c-1", "key-1", Body, Credentials(credentials), ct);
        using var note = await client.CrmAsync(HttpMethod.Post, "/v1/contacts/c-1/notes", "key-2", Body, Credentials(credentials), ct);
        using var delete = await client.CrmAsync(HttpMethod.Delete, "/v1/contacts/c-1", "key-3", body: null, Credentials(credentials), ct);

        Assert.All([put, note, delete], r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Equal("unauthorized", (await put.Content.ReadFromJsonAsync<ErrorDto>(ct))!.Error);
        Assert.Empty(await factory.Control().CrmRequestsAsync("", ct));
        var ledger = await factory.Control().LedgerAsync("crm", ct);
        Assert.Equal((0, 3L), (ledger.DistinctEffects, ledger.Requests));
    }

    [Theory]
    [InlineData("Basic", "basic")]
    [InlineData("ApiKey", "api-key")]
    [InlineData("Bearer", "bearer")]
    [InlineData("None", "none")]
    [InlineData("None", "basic-wrong-password")]
    public async Task AnyRoute_WithTheCredentialsOfTheMode_Succeeds(string mode, string credentials)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new FakeServicesFactory(("FakeServices:Crm:Auth", mode));
        var client = factory.Crm();

        using var put = await client.CrmAsync(HttpMethod.Put, "/v1/contacts/c-1", "key-1", Body, Credentials(credentials), ct);
        using var note = await client.CrmAsync(HttpMethod.Post, "/v1/contacts/c-1/notes", "key-2", Body, Credentials(credentials), ct);
        using var delete = await client.CrmAsync(HttpMethod.Delete, "/v1/contacts/c-1", "key-3", body: null, Credentials(credentials), ct);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.NoContent), (put.StatusCode, note.StatusCode, delete.StatusCode));
        Assert.Equal(3, (await factory.Control().LedgerAsync("crm", ct)).DistinctEffects);
    }

    [Fact]
    public async Task Unauthorized_UsesUpNoKey()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new FakeServicesFactory();
        var client = factory.Crm();

        using var refused = await client.CrmAsync(HttpMethod.Put, "/v1/contacts/c-1", "key-1", Body, CrmAuth.Basic(password: "nope"), ct);
        using var valid = await client.PutContactAsync("c-1", "key-1", Body, ct);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Equal(2, Assert.Single((await factory.Control().LedgerAsync("crm", ct)).Effects).RequestCount);
    }

    [Theory]
    [InlineData("Basic", "Basic realm=\"fake-crm\"")]
    [InlineData("Bearer", "Bearer")]
    [InlineData("ApiKey", null)]
    public async Task Unauthorized_ChallengesWithTheSchemeOfTheMode(string mode, string? challenge)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new FakeServicesFactory(("FakeServices:Crm:Auth", mode));

        using var response = await factory.Crm().CrmAsync(HttpMethod.Put, "/v1/contacts/c-1", "key-1", Body, auth: null, ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(challenge, response.Headers.WwwAuthenticate.SingleOrDefault()?.ToString());
    }

    [Fact]
    public async Task AuthMode_SetThroughTheControlApi_AppliesAtOnceAndResetRestoresTheConfiguredOne()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new FakeServicesFactory();
        var control = factory.Control();
        var client = factory.Crm();

        using var set = await control.PutAsJsonAsync("/control/crm/auth", new { mode = "ApiKey" }, ct);
        using var basic = await client.PutContactAsync("c-1", "key-1", Body, ct);
        using var apiKey = await client.CrmAsync(HttpMethod.Put, "/v1/contacts/c-1", "key-2", Body, CrmAuth.ApiKey(), ct);
        var during = await control.GetStringAsync("/control/crm/auth", ct);
        using var reset = await control.PostAsync("/control/reset", content: null, ct);
        using var basicAgain = await client.PutContactAsync("c-1", "key-3", Body, ct);

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal("""{"mode":"ApiKey"}""", await set.Content.ReadAsStringAsync(ct));
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.OK), (basic.StatusCode, apiKey.StatusCode));
        Assert.Equal("""{"mode":"ApiKey"}""", during);
        Assert.Equal(HttpStatusCode.OK, basicAgain.StatusCode);
        Assert.Equal("""{"mode":"Basic"}""", await control.GetStringAsync("/control/crm/auth", ct));
    }

    [Theory]
    [InlineData("""{"mode":"bearer"}""", HttpStatusCode.OK)]
    [InlineData("""{"mode":"none"}""", HttpStatusCode.OK)]
    [InlineData("""{"mode":"Digest"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"mode":1}""", HttpStatusCode.BadRequest)]
    [InlineData("""{}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"mode":"Basic","extra":true}""", HttpStatusCode.BadRequest)]
    [InlineData("""not json""", HttpStatusCode.BadRequest)]
    public async Task PutAuthMode_ReadsNamesInAnyCaseAndRejectsTheRest(string body, HttpStatusCode expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new FakeServicesFactory();

        using var response = await factory.Control().PutAsync("/control/crm/auth",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), ct);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.BadRequest)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("""{"mode":"Basic"}""", await factory.Control().GetStringAsync("/control/crm/auth", ct));
        }
    }

    private static Action<HttpRequestMessage>? Credentials(string name) => name switch
    {
        "none" => null,
        "basic" => CrmAuth.Basic(),
        "basic-wrong-password" => CrmAuth.Basic(password: "wrong"),
        "basic-wrong-user" => CrmAuth.Basic(username: "someone"),
        "basic-not-base64" => r => r.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "%%%"),
        "api-key" => CrmAuth.ApiKey(),
        "api-key-wrong" => CrmAuth.ApiKey("wrong-key"),
        "api-key-twice" => r => r.Headers.Add("X-Api-Key", [FakeServicesDefaults.CrmApiKey, FakeServicesDefaults.CrmApiKey]),
        "bearer" => CrmAuth.Bearer(),
        "bearer-wrong" => CrmAuth.Bearer("wrong-key"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };
}
