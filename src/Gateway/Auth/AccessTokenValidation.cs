using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Gateway.Auth;

/// <summary>
/// What makes an access token acceptable, as the JwtBearer scheme's <see cref="TokenValidationParameters"/>: signed
/// with HS256 only (no <c>none</c>, no HS384/HS512 even with the right key) by one of the current
/// <see cref="SigningKeyRing"/> keys, issuer and audience <c>messaging-gateway</c>, and the lifetime rule of
/// <see cref="IsWithinLifetime"/> on the injected clock.
/// </summary>
internal static class AccessTokenValidation
{
    /// <summary>The parameters; the keys and the skew are read through delegates, so reloads apply without a restart.</summary>
    public static TokenValidationParameters Parameters(SigningKeyRing keys, IOptionsMonitor<AuthOptions> auth, TimeProvider time) => new()
    {
        ValidIssuer = GatewayClaims.Issuer,
        ValidAudience = GatewayClaims.Audience,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        IssuerSigningKeyResolver = (_, _, _, _) => keys.Current,
        // IdentityModel reads the system clock unless told otherwise (its TimeProvider is not public).
        LifetimeValidator = (notBefore, expires, token, _) => IsWithinLifetime(notBefore, expires, token, time, auth.CurrentValue.ClockSkew),
        ClockSkew = auth.CurrentValue.ClockSkew,
        NameClaimType = GatewayClaims.ClientId,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
    };

    /// <summary>
    /// The lifetime rule: <c>exp</c> and <c>iat</c> are required; <c>exp - iat</c> is at most
    /// <see cref="AuthOptions.MaxTokenLifetime"/> (the absolute maximum, not the current <c>Auth:TokenLifetime</c>, so
    /// shortening the setting does not void live tokens); <c>iat</c> and <c>nbf</c> are not in the future and
    /// <c>exp</c> not in the past, each with <paramref name="clockSkew"/>. A token signed with the right key but an
    /// expiry years out, or an <c>iat</c> moved into the future to stretch it, is refused.
    /// </summary>
    internal static bool IsWithinLifetime(DateTime? notBefore, DateTime? expires, SecurityToken? token, TimeProvider time, TimeSpan clockSkew)
    {
        if (expires is not { } exp || exp == DateTime.MinValue || token is not JsonWebToken { IssuedAt: var iat } || iat == DateTime.MinValue)
        {
            return false;
        }

        exp = exp.ToUniversalTime();
        iat = iat.ToUniversalTime();
        var now = time.GetUtcNow().UtcDateTime;
        return exp - iat <= AuthOptions.MaxTokenLifetime
            && iat <= now + clockSkew
            && (notBefore is not { } nbf || nbf == DateTime.MinValue || nbf.ToUniversalTime() <= now + clockSkew)
            && exp > now - clockSkew;
    }
}
