using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Gateway.Auth;

/// <summary>Creates the gateway's JWT access tokens (HS256, signed with the first configured key).</summary>
internal sealed class AccessTokenIssuer(IOptionsMonitor<AuthOptions> options, SigningKeyRing keys, TimeProvider timeProvider)
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>Issues a token for a client of a tenant with the given scopes.</summary>
    public (string Token, TimeSpan Lifetime) Issue(string clientId, string tenant, IReadOnlyCollection<string> scopes)
    {
        var current = options.CurrentValue;
        var now = timeProvider.GetUtcNow().UtcDateTime;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = GatewayClaims.Issuer,
            Audience = GatewayClaims.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + current.TokenLifetime,
            Subject = new ClaimsIdentity(
            [
                new Claim(JwtRegisteredClaimNames.Sub, clientId),
                new Claim(GatewayClaims.ClientId, clientId),
                new Claim(GatewayClaims.Tenant, tenant),
                new Claim(GatewayClaims.Scope, string.Join(' ', scopes)),
                new Claim(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString("N")),
            ]),
            SigningCredentials = new SigningCredentials(keys.Signing, SecurityAlgorithms.HmacSha256),
        };
        return (_handler.CreateToken(descriptor), current.TokenLifetime);
    }
}
