using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Gateway.Tests.Auth;

/// <summary>
/// JWTs written by hand, as an attacker would: any header, any claims, signed with any HMAC (or not at all). A
/// library that builds tokens would refuse to make most of these.
/// </summary>
internal static class ForgedTokens
{
    /// <summary>The bytes of the host's signing key (<see cref="GatewayHost.TestSigningKey"/>).</summary>
    public static byte[] TestKey => Convert.FromBase64String(GatewayHost.TestSigningKey);

    /// <summary>
    /// The claims of a token the gateway would issue at <paramref name="issuedAt"/> for 15 minutes (issuer, audience,
    /// client, tenant <c>acme</c>, scope <c>commands</c>); change or remove entries to forge.
    /// </summary>
    public static Dictionary<string, object> Claims(DateTimeOffset issuedAt, string clientId = "cli_forged") => new(StringComparer.Ordinal)
    {
        ["iss"] = "messaging-gateway",
        ["aud"] = "messaging-gateway",
        ["sub"] = clientId,
        ["client_id"] = clientId,
        ["tenant"] = "acme",
        ["scope"] = "commands",
        ["iat"] = issuedAt.ToUnixTimeSeconds(),
        ["nbf"] = issuedAt.ToUnixTimeSeconds(),
        ["exp"] = issuedAt.AddMinutes(15).ToUnixTimeSeconds(),
    };

    /// <summary>A token with header <c>{"alg": alg, "typ": "JWT"}</c>, signed with <paramref name="sign"/> (none: an empty signature).</summary>
    public static string Create(string alg, IDictionary<string, object> claims, Func<byte[], byte[]>? sign)
    {
        var header = Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = alg, ["typ"] = "JWT" }));
        var payload = Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signingInput = header + "." + payload;
        var signature = sign is null ? "" : Base64UrlEncoder.Encode(sign(Encoding.ASCII.GetBytes(signingInput)));
        return signingInput + "." + signature;
    }

    /// <summary>HS256 under the host's key: what a correct token carries.</summary>
    public static string Hs256(IDictionary<string, object> claims) => Create("HS256", claims, data => HMACSHA256.HashData(TestKey, data));
}
