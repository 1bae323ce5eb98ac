using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Messaging.Gateway.Clients;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Messaging.Gateway.Tests.Auth;

public sealed class TokenEndpointTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Token_WithFormCredentials_Returns200WithBearerTokenCarryingClientTenantAndScopes()
    {
        var (clientId, secret) = await host.AddClientAsync("acme", "commands", "admin");
        using var http = host.CreateClient();

        using var response = await TokenRequests.PostClientCredentialsAsync(http, clientId, secret);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var body = await TokenRequests.ReadJsonAsync(response);
        Assert.Equal("Bearer", body.GetString("token_type"));
        Assert.Equal(900, body.GetProperty("expires_in").GetInt32());
        var token = new JsonWebToken(body.GetString("access_token"));
        Assert.Equal("messaging-gateway", token.Issuer);
        Assert.Equal(clientId, token.GetClaim("client_id").Value);
        Assert.Equal(clientId, token.Subject);
        Assert.Equal("acme", token.GetClaim("tenant").Value);
        Assert.Equal("commands admin", token.GetClaim("scope").Value);
        Assert.Equal(TimeSpan.FromMinutes(15), token.ValidTo - token.ValidFrom);
    }

    [Fact]
    public async Task Token_WithBasicCredentials_Returns200()
    {
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");
        using var http = host.CreateClient();

        using var response = await TokenRequests.PostFormAsync(
            http, [new("grant_type", "client_credentials")], TokenRequests.Basic(clientId, secret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = new JsonWebToken((await TokenRequests.ReadJsonAsync(response)).GetString("access_token"));
        Assert.Equal(clientId, token.GetClaim("client_id").Value);
    }

    [Fact]
    public async Task Token_WithWrongSecret_Returns401InvalidClientWithBasicChallenge()
    {
        var (clientId, _) = await host.AddClientAsync("acme", "commands");
        using var http = host.CreateClient();

        using var response = await TokenRequests.PostClientCredentialsAsync(http, clientId, ClientCredentials.NewSecret());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic realm=\"messaging\"", response.Headers.WwwAuthenticate.ToString());
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.Equal("invalid_client", (await TokenRequests.ReadJsonAsync(response)).GetString("error"));
    }

    [Fact]
    public async Task Token_ForUnknownOrRevokedClient_AnswersExactlyAsForWrongSecret()
    {
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");
        var (revokedId, revokedSecret) = await host.AddClientAsync("acme", "commands");
        await host.Services.GetRequiredService<ClientStore>().RevokeAsync(revokedId, GatewayHost.TestActor, Cancellation);
        using var http = host.CreateClient();

        using var wrongSecret = await TokenRequests.PostClientCredentialsAsync(http, clientId, secret + "x");
        using var unknown = await TokenRequests.PostClientCredentialsAsync(http, ClientCredentials.NewClientId(), secret);
        using var revoked = await TokenRequests.PostClientCredentialsAsync(http, revokedId, revokedSecret);
        using var unknownBasic = await TokenRequests.PostFormAsync(
            http, [new("grant_type", "client_credentials")], TokenRequests.Basic("cli_nobody", "secret"));

        var expected = await wrongSecret.Content.ReadAsStringAsync(Cancellation);
        foreach (var response in new[] { unknown, revoked, unknownBasic })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(expected, await response.Content.ReadAsStringAsync(Cancellation));
            Assert.Equal(wrongSecret.Headers.WwwAuthenticate.ToString(), response.Headers.WwwAuthenticate.ToString());
        }
    }

    [Fact]
    public async Task Token_AfterRevocation_IsRefusedThoughTheSecretWorkedBefore()
    {
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");
        using var http = host.CreateClient();
        using var before = await TokenRequests.PostClientCredentialsAsync(http, clientId, secret);

        await host.Services.GetRequiredService<ClientStore>().RevokeAsync(clientId, GatewayHost.TestActor, Cancellation);
        using var after = await TokenRequests.PostClientCredentialsAsync(http, clientId, secret);

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Theory]
    [InlineData("password")]
    [InlineData("authorization_code")]
    [InlineData("CLIENT_CREDENTIALS")]
    public async Task Token_WithOtherGrantType_Returns400UnsupportedGrantType(string grantType)
    {
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");
        using var http = host.CreateClient();

        using var response = await TokenRequests.PostFormAsync(http,
            [new("grant_type", grantType), new("client_id", clientId), new("client_secret", secret)]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("unsupported_grant_type", (await TokenRequests.ReadJsonAsync(response)).GetString("error"));
    }

    [Theory]
    [InlineData("grant_type")]
    [InlineData("client_id")]
    [InlineData("client_secret")]
    public async Task Token_WithAMissingField_Returns400InvalidRequest(string missing)
    {
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");
        var fields = new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
        };
        fields.Remove(missing);
        using var http = host.CreateClient();

        using var response = await TokenRequests.PostFormAsync(http, fields);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var body = await TokenRequests.ReadJsonAsync(response);
        Assert.Equal("invalid_request", body.GetString("error"));
        Assert.False(string.IsNullOrEmpty(body.GetString("error_description")));
    }

    [Fact]
    public async Task Token_WithBothBasicAndFormCredentials_Returns400InvalidRequest()
    {
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");
        using var http = host.CreateClient();

        using var response = await TokenRequests.PostFormAsync(http,
            [new("grant_type", "client_credentials"), new("client_id", clientId), new("client_secret", secret)],
            TokenRequests.Basic(clientId, secret));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (await TokenRequests.ReadJsonAsync(response)).GetString("error"));
    }

    [Fact]
    public async Task Token_WithMalformedBasicHeader_Returns401InvalidClient()
    {
        using var http = host.CreateClient();

        using var response = await TokenRequests.PostFormAsync(http,
            [new("grant_type", "client_credentials")], new AuthenticationHeaderValue("Basic", "%%%not-base64"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", (await TokenRequests.ReadJsonAsync(response)).GetString("error"));
    }

    [Fact]
    public async Task Token_WithJsonBody_Returns400InvalidRequest()
    {
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");
        using var http = host.CreateClient();
        using var content = new StringContent(
            $$"""{"grant_type":"client_credentials","client_id":"{{clientId}}","client_secret":"{{secret}}"}""", Encoding.UTF8, "application/json");

        using var response = await http.PostAsync(TokenRequests.TokenPath, content, Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (await TokenRequests.ReadJsonAsync(response)).GetString("error"));
    }

    [Fact]
    public async Task Token_WithRepeatedParameter_Returns400InvalidRequest()
    {
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");
        using var http = host.CreateClient();

        using var response = await TokenRequests.PostFormAsync(http,
            [new("grant_type", "client_credentials"), new("client_id", clientId), new("client_secret", secret), new("client_secret", "other")]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (await TokenRequests.ReadJsonAsync(response)).GetString("error"));
    }

    [Fact]
    public async Task Token_WithScopeTheClientLacks_Returns400InvalidScope()
    {
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");
        using var http = host.CreateClient();

        using var response = await TokenRequests.PostClientCredentialsAsync(http, clientId, secret, scope: "commands admin");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_scope", (await TokenRequests.ReadJsonAsync(response)).GetString("error"));
    }

    [Fact]
    public async Task Token_WithNarrowerScope_CarriesOnlyThatScope()
    {
        var (clientId, secret) = await host.AddClientAsync("acme", "commands", "admin");
        using var http = host.CreateClient();

        using var response = await TokenRequests.PostClientCredentialsAsync(http, clientId, secret, scope: "admin");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await TokenRequests.ReadJsonAsync(response);
        Assert.Equal("admin", body.GetString("scope"));
        Assert.Equal("admin", new JsonWebToken(body.GetString("access_token")).GetClaim("scope").Value);
    }

    [Fact]
    public async Task Token_ByGetOrWithoutBody_IsNotATokenResponse()
    {
        using var http = host.CreateClient();

        using var get = await http.GetAsync(TokenRequests.TokenPath, Cancellation);
        using var empty = await http.PostAsync(TokenRequests.TokenPath, content: null, Cancellation);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal("invalid_request", (await TokenRequests.ReadJsonAsync(empty)).GetString("error"));
    }

    [Fact]
    public async Task GetTokenAsync_OfTheHost_ReturnsATokenForTheTenant()
    {
        var token = new JsonWebToken(await host.GetTokenAsync("tenant-b"));

        Assert.Equal("tenant-b", token.GetClaim("tenant").Value);
        Assert.Equal("commands", token.GetClaim("scope").Value);
    }
}
