using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Gateway.Tests.Auth;

public sealed class BearerAuthenticationTests(AuthProbeHost host) : IClassFixture<AuthProbeHost>
{
    private const string NewSigningKey = "Z2F0ZXdheS10ZXN0cy1yb3RhdGVkLXRva2VuLXNpZ25pbmcta2V5LTAxMjM=";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Probe_WithValidToken_SeesClientTenantAndScopes()
    {
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");
        using var http = Bearer(host.CreateClient(), await host.RequestTokenAsync(clientId, secret));

        var probe = await http.GetFromJsonAsync<ProbeResponse>(AuthProbeHost.CommandsProbe, Cancellation);

        Assert.Equal(new ProbeResponse(clientId, "acme", "commands"), probe);
    }

    [Fact]
    public async Task Probe_WithoutToken_Returns401ProblemWithBearerChallenge()
    {
        using var http = host.CreateClient();

        using var response = await http.GetAsync(AuthProbeHost.CommandsProbe, Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer realm=\"messaging\"", response.Headers.WwwAuthenticate.ToString());
        var problem = await TokenRequests.ReadJsonAsync(response);
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetString("type")));
        Assert.Equal("Unauthorized", problem.GetString("title"));
        Assert.False(string.IsNullOrEmpty(problem.GetString("traceId")));
    }

    [Fact]
    public async Task Probe_WithBadTokens_AnswersTheSame401WhateverTheCause()
    {
        var unknownKey = Sign(new SymmetricSecurityKey(Encoding.UTF8.GetBytes("some-other-key-nobody-configured-0123456789")), DateTime.UtcNow);
        var expired = Sign(TestKey, DateTime.UtcNow.AddHours(-2));
        var validToken = await host.GetTokenAsync("acme", "commands");
        var tampered = validToken[..^4] + (validToken.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        using var http = host.CreateClient();
        using var missing = await http.GetAsync(AuthProbeHost.CommandsProbe, Cancellation);
        var expectedBody = await TokenRequests.ReadBodyWithoutTraceIdAsync(missing);

        foreach (var token in new[] { unknownKey, expired, tampered, "not-a-jwt", "a.b.c" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, AuthProbeHost.CommandsProbe);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, Cancellation);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(expectedBody, await TokenRequests.ReadBodyWithoutTraceIdAsync(response));
            Assert.Equal("Bearer realm=\"messaging\", error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
        }
    }

    [Fact]
    public async Task Probe_AfterTheTokenExpires_Returns401()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = host.Factory.WithWebHostBuilder(builder =>
            builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(time)));
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");
        using var http = factory.CreateClient();
        using var tokenResponse = await TokenRequests.PostClientCredentialsAsync(http, clientId, secret);
        var token = (await TokenRequests.ReadJsonAsync(tokenResponse)).GetString("access_token")!;
        Bearer(http, token);

        using var fresh = await http.GetAsync(AuthProbeHost.CommandsProbe, Cancellation);
        time.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(29)); // within the 30 s clock skew
        using var withinSkew = await http.GetAsync(AuthProbeHost.CommandsProbe, Cancellation);
        time.Advance(TimeSpan.FromSeconds(2));
        using var expired = await http.GetAsync(AuthProbeHost.CommandsProbe, Cancellation);

        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withinSkew.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
    }

    [Fact]
    public async Task Probe_AfterKeyRotation_AcceptsTokensOfTheOldKeyListedSecond()
    {
        await using var rotated = host.Factory.WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Auth:SigningKeys:0", NewSigningKey);
            builder.UseSetting("Auth:SigningKeys:1", GatewayHost.TestSigningKey);
        });
        var oldToken = await host.GetTokenAsync("acme", "commands");
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");
        using var rotatedHttp = rotated.CreateClient();
        using var tokenResponse = await TokenRequests.PostClientCredentialsAsync(rotatedHttp, clientId, secret);
        var newToken = (await TokenRequests.ReadJsonAsync(tokenResponse)).GetString("access_token")!;

        using var oldOnRotated = await SendAsync(rotatedHttp, oldToken);
        using var newOnRotated = await SendAsync(rotatedHttp, newToken);
        using var http = host.CreateClient();
        using var newOnOriginal = await SendAsync(http, newToken);

        Assert.Equal(HttpStatusCode.OK, oldOnRotated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, newOnRotated.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, newOnOriginal.StatusCode); // signed with the new key, not the old one
    }

    [Fact]
    public async Task AdminProbe_WithOnlyTheCommandsScope_Returns403Problem()
    {
        using var http = Bearer(host.CreateClient(), await host.GetTokenAsync("acme", "commands"));

        using var response = await http.GetAsync(AuthProbeHost.AdminProbe, Cancellation);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await TokenRequests.ReadJsonAsync(response);
        Assert.Equal(403, problem.GetProperty("status").GetInt32());
        Assert.Equal("Forbidden", problem.GetString("title"));
        Assert.False(string.IsNullOrEmpty(problem.GetString("traceId")));
    }

    [Fact]
    public async Task Probes_WithAdminScope_AllowAdminButNotCommands()
    {
        using var http = Bearer(host.CreateClient(), await host.GetTokenAsync("ops", "admin"));

        using var admin = await http.GetAsync(AuthProbeHost.AdminProbe, Cancellation);
        using var commands = await http.GetAsync(AuthProbeHost.CommandsProbe, Cancellation);

        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, commands.StatusCode);
    }

    [Fact]
    public void TokenEndpoint_AllowsAnonymousCallers_EvenUnderAFallbackPolicy()
    {
        var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints;

        var token = Assert.Single(endpoints, e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == "IssueAccessToken");

        Assert.NotNull(token.Metadata.GetMetadata<IAllowAnonymous>());
        Assert.Equal("/api/auth/token", (token as RouteEndpoint)?.RoutePattern.RawText);
    }

    private static SymmetricSecurityKey TestKey => new(ForgedTokens.TestKey);

    private static string Sign(SecurityKey key, DateTime issuedAt) => new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "messaging-gateway",
        Audience = "messaging-gateway",
        IssuedAt = issuedAt,
        NotBefore = issuedAt,
        Expires = issuedAt.AddMinutes(15),
        Subject = new ClaimsIdentity([new Claim("client_id", "cli_forged"), new Claim("tenant", "acme"), new Claim("scope", "commands admin")]),
        SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
    });

    private static HttpClient Bearer(HttpClient http, string token)
    {
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, AuthProbeHost.CommandsProbe);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request, Cancellation);
    }
}
