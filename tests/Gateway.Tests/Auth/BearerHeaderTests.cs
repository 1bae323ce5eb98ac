using System.Net;
using System.Net.Http.Json;

namespace Messaging.Gateway.Tests.Auth;

/// <summary>How the bearer scheme reads the <c>Authorization</c> header (as JwtBearerHandler did).</summary>
public sealed class BearerHeaderTests(AuthProbeHost host) : IClassFixture<AuthProbeHost>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("bearer {0}")]
    [InlineData("BEARER {0}")]
    [InlineData("Bearer   {0}  ")]
    public async Task Probe_WithTheSchemeInAnyCaseOrTheTokenPadded_IsAuthenticated(string format)
    {
        var token = await host.GetTokenAsync("acme", "commands");

        using var response = await SendAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, token));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("acme", (await response.Content.ReadFromJsonAsync<ProbeResponse>(Cancellation))?.Tenant);
    }

    [Theory]
    [InlineData("Basic Y2xpOnNlY3JldA==")]
    [InlineData("Bearer ")]
    [InlineData("Bearer")]
    [InlineData("Bearertoken")]
    public async Task Probe_WithAnotherSchemeOrNoToken_Returns401WithoutAnErrorCode(string authorization)
    {
        using var response = await SendAsync(authorization);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer realm=\"messaging\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Probe_WithARememberedTokenPlusTrailingCharacters_Returns401InvalidToken()
    {
        var token = await host.GetTokenAsync("acme", "commands");
        using var valid = await SendAsync("Bearer " + token);

        using var extended = await SendAsync("Bearer " + token + "x");
        using var twoTokens = await SendAsync("Bearer " + token + " " + token);

        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, extended.StatusCode);
        Assert.Equal("Bearer realm=\"messaging\", error=\"invalid_token\"", extended.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, twoTokens.StatusCode);
    }

    private async Task<HttpResponseMessage> SendAsync(string authorization)
    {
        using var http = host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, AuthProbeHost.CommandsProbe);
        Assert.True(request.Headers.TryAddWithoutValidation("Authorization", authorization));
        return await http.SendAsync(request, Cancellation);
    }
}
