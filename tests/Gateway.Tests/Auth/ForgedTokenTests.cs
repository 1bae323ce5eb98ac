using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Messaging.Gateway.Tests.Auth;

/// <summary>
/// Tokens made by an attacker (<see cref="ForgedTokens"/>), against the real JwtBearer scheme: every one that is not
/// exactly what the gateway issues gets the uniform 401 <c>invalid_token</c>. The first test shows that the forger's
/// correct token passes, so each refusal below is the validation's doing, not the forger's.
/// </summary>
public sealed class ForgedTokenTests(AuthProbeHost host) : IClassFixture<AuthProbeHost>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    [Fact]
    public async Task Probe_WithAHandMadeTokenAsTheGatewayIssues_IsAccepted()
    {
        using var response = await SendAsync(ForgedTokens.Hs256(ForgedTokens.Claims(Now)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public static TheoryData<string> Forgeries() =>
    [
        "alg none",
        "alg none with the signature kept",
        "HS384 with the right key",
        "HS512 with the right key",
        "signature stripped",
        "no exp",
        "no iat",
        "nbf in the future",
        "wrong iss",
        "wrong aud",
        "exp ten years out",
        "exp one hour and one second after iat",
        "iat and exp ten years out",
    ];

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task Probe_WithAForgedToken_Returns401InvalidToken(string forgery)
    {
        using var response = await SendAsync(Forge(forgery));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer realm=\"messaging\", error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Probe_WithExpExactlyOneHourAfterIat_IsAccepted()
    {
        var claims = ForgedTokens.Claims(Now);
        claims["exp"] = (long)claims["iat"] + 3600;

        using var response = await SendAsync(ForgedTokens.Hs256(claims));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // the absolute maximum, whatever Auth:TokenLifetime is now
    }

    private static string Forge(string forgery)
    {
        var claims = ForgedTokens.Claims(Now);
        var valid = ForgedTokens.Hs256(claims);
        switch (forgery)
        {
            case "alg none":
                return ForgedTokens.Create("none", claims, sign: null);
            case "alg none with the signature kept":
                return ForgedTokens.Create("none", claims, sign: null) + valid[(valid.LastIndexOf('.') + 1)..];
            case "HS384 with the right key":
                return ForgedTokens.Create("HS384", claims, data => HMACSHA384.HashData(ForgedTokens.TestKey, data));
            case "HS512 with the right key":
                return ForgedTokens.Create("HS512", claims, data => HMACSHA512.HashData(ForgedTokens.TestKey, data));
            case "signature stripped":
                return valid[..(valid.LastIndexOf('.') + 1)];
            case "no exp":
                claims.Remove("exp");
                break;
            case "no iat":
                claims.Remove("iat");
                break;
            case "nbf in the future":
                claims["nbf"] = Now.AddMinutes(10).ToUnixTimeSeconds();
                break;
            case "wrong iss":
                claims["iss"] = "someone-else";
                break;
            case "wrong aud":
                claims["aud"] = "another-service";
                break;
            case "exp ten years out":
                claims["exp"] = Now.AddYears(10).ToUnixTimeSeconds();
                break;
            case "exp one hour and one second after iat":
                claims["exp"] = (long)claims["iat"] + 3601;
                break;
            case "iat and exp ten years out":
                // exp - iat is 15 minutes, but issued "in the future" to stretch the token's life.
                claims = ForgedTokens.Claims(Now.AddYears(10));
                claims["nbf"] = Now.ToUnixTimeSeconds();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(forgery), forgery, null);
        }

        return ForgedTokens.Hs256(claims);
    }

    private async Task<HttpResponseMessage> SendAsync(string token)
    {
        using var http = host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, AuthProbeHost.CommandsProbe);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request, Cancellation);
    }
}
