using System.Text;
using System.Text.Json;
using Messaging.CommandTypes;
using Messaging.CommandTypes.Providers;
using Messaging.Contracts.Http;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Messaging.Workers.Tests.ExternalServices;

/// <summary>
/// A command type declared in configuration alone, executed as the workers execute it: the provider's client
/// (endpoints, pipelines, auth from <c>ExternalServices:crm:Auth</c>) and <c>HttpCommandHandler</c>, against a stub API.
/// </summary>
public sealed class HttpCommandHandlerTests : IDisposable
{
    private const string TypeName = "crm.contact.upsert";
    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly List<ExternalServicesHost> _hosts = [];


    private ExternalServicesHost Host(string method = "PUT", string path = "/v1/contacts/{customerId}", params (string Key, string Value)[] auth)
    {
        var configuration = new ProviderStub().Configuration();
        configuration[$"Commands:Types:{TypeName}:Kind"] = "http";
        configuration[$"Commands:Types:{TypeName}:Provider"] = "crm";
        configuration[$"Commands:Types:{TypeName}:Http:Method"] = method;
        configuration[$"Commands:Types:{TypeName}:Http:Path"] = path;
        configuration[$"Commands:Types:{TypeName}:Schema"] = """{"type":"object","properties":{"customerId":{"type":"string"},"n":{"type":"integer"}}}""";
        configuration["ExternalServices:crm:Endpoints:0"] = _server.Url + "/api";
        configuration["Resilience:Dependencies:crm:Retry:MaxRetryAttempts"] = "0";
        configuration["Resilience:Dependencies:crm:Breaker:MinimumThroughput"] = "1000";
        foreach (var (key, value) in auth)
        {
            configuration[$"ExternalServices:crm:Auth:{key}"] = value;
        }

        var host = new ExternalServicesHost(configuration);
        _hosts.Add(host);
        return host;
    }

    private static async Task<CommandResult> CallAsync(ExternalServicesHost host, string body)
    {
        var command = new HttpCommand { CommandId = Guid.NewGuid(), Tenant = "tenant-a", Body = JsonDocument.Parse(body).RootElement.Clone() };
        return await CallAsync(host, command);
    }

    private static Task<CommandResult> CallAsync(ExternalServicesHost host, HttpCommand command) =>
        new HandlerCall<HttpCommand>(host.Services, host.Get<IHttpClientFactory>(), "crm", TypeName).CallAsync(command, ExternalServicesHost.CallContext());

    private void Answer(int status, string body = """{"id":"c1","version":3}""", string? contentType = "application/json") =>
        _server.Given(Request.Create().UsingAnyMethod())
            .RespondWith(Response.Create().WithStatusCode(status).WithBody(body).WithHeader("Content-Type", contentType ?? "text/plain"));

    [Fact]
    public async Task Call_SendsTheDeclaredMethodEscapedPathBodyIdempotencyKeyAndBasicAuth_AndStoresTheJsonAnswer()
    {
        Answer(200);
        var host = Host(auth: [("Kind", "Basic"), ("Username", "gateway"), ("Password", "s3cret")]);
        var command = new HttpCommand { CommandId = Guid.NewGuid(), Tenant = "t", Body = JsonDocument.Parse("""{"customerId":"a/b c","n":7}""").RootElement.Clone() };

        var outcome = await CallAsync(host, command);

        Assert.True(outcome.Succeeded);
        Assert.Equal("""{"id":"c1","version":3}""", outcome.ResultJson);
        var request = Assert.Single(_server.LogEntries).RequestMessage;
        Assert.Equal("PUT", request.Method);
        // One path segment: the slash is escaped (the fake provider of the system tests checks the exact raw path).
        Assert.Contains("/api/v1/contacts/a%2Fb", request.AbsoluteUrl, StringComparison.Ordinal);
        Assert.Equal(command.CommandId.ToString(), ProviderStub.Header(request, "Idempotency-Key"));
        Assert.StartsWith("application/json", ProviderStub.Header(request, "Content-Type"), StringComparison.Ordinal);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("gateway:s3cret")), ProviderStub.Header(request, "Authorization"));
        Assert.True(JsonElement.DeepEquals(command.Body, JsonDocument.Parse(request.Body!).RootElement));
    }

    [Theory]
    [InlineData("ApiKey", "X-Api-Key", "key-1")]
    [InlineData("Bearer", "Authorization", "Bearer key-1")]
    public async Task Call_PutsTheProvidersStaticCredentialsOnTheRequest(string kind, string header, string expected)
    {
        Answer(201);
        var host = Host("POST", "/v1/contacts", ("Kind", kind), ("Value", "key-1"));

        Assert.True((await CallAsync(host, """{"customerId":"c1"}""")).Succeeded);

        Assert.Equal(expected, ProviderStub.Header(Assert.Single(_server.LogEntries).RequestMessage, header));
    }

    [Fact]
    public async Task Call_WithOAuth2_SendsTheTokenFromTheTokenEndpoint()
    {
        _server.Given(Request.Create().WithPath("/oauth/token").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(new { access_token = "tok-9", token_type = "Bearer", expires_in = 300 }));
        _server.Given(Request.Create().WithPath("/api/v1/contacts/c1").UsingPut())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("{}").WithHeader("Content-Type", "application/json"));
        var host = Host(auth: [("Kind", "OAuth2"), ("TokenUrl", _server.Url + "/oauth/token"), ("ClientId", "gw"), ("ClientSecret", "secret-1")]);

        Assert.True((await CallAsync(host, """{"customerId":"c1"}""")).Succeeded);

        var call = Assert.Single(_server.LogEntries, e => e.RequestMessage.Path == "/api/v1/contacts/c1").RequestMessage;
        Assert.Equal("Bearer tok-9", ProviderStub.Header(call, "Authorization"));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(422)]
    public async Task Call_AnsweredWithA4xx_IsRefusedAsProviderRejected_WithTheStatus(int status)
    {
        Answer(status, """{"error":"nope"}""");

        var outcome = await CallAsync(Host(), """{"customerId":"c1"}""");

        Assert.False(outcome.Succeeded);
        Assert.Equal("provider_rejected", outcome.Refusal!.Code);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), outcome.Refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(408)]
    [InlineData(425)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task Call_AnsweredWithATransientStatus_ThrowsATransientFailure(int status)
    {
        Answer(status, "{}");

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CallAsync(Host(), """{"customerId":"c1"}"""));

        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task Call_AnsweredWithARedirect_DoesNotFollowIt()
    {
        _server.Given(Request.Create().WithPath("/elsewhere").UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200).WithBody("{}"));
        _server.Given(Request.Create().WithPath("/api/v1/contacts/c1").UsingAnyMethod())
            .RespondWith(Response.Create().WithStatusCode(307).WithHeader("Location", _server.Url + "/elsewhere"));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CallAsync(Host(), """{"customerId":"c1"}"""));

        Assert.False(ex.IsTransient);
        Assert.DoesNotContain(_server.LogEntries, e => e.RequestMessage.Path == "/elsewhere");
    }

    [Theory]
    [InlineData(20_000, "application/json")]
    [InlineData(10, "text/plain")]
    public async Task Call_WithALargeOrNonJsonAnswer_StoresOnlyItsStatus(int size, string contentType)
    {
        var body = contentType == "application/json" ? $$"""{"data":"{{new string('x', size)}}"}""" : "plain text";
        Answer(200, body, contentType);

        var outcome = await CallAsync(Host(), """{"customerId":"c1"}""");

        Assert.True(outcome.Succeeded);
        Assert.Equal("""{"status":200}""", outcome.ResultJson);
    }

    public void Dispose()
    {
        _hosts.ForEach(h => h.Dispose());
        _server.Stop();
    }
}
