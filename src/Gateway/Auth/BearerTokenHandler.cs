using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Gateway.Auth;

/// <summary>
/// How the gateway validates access tokens: the validation parameters (issuer, audience, HS256, the current
/// <see cref="SigningKeyRing"/> keys, the lifetime with <c>Auth:ClockSkew</c> on the injected clock), built once,
/// and the <see cref="ValidatedTokenCache"/> that runs them.
/// </summary>
internal sealed class BearerTokenValidator
{
    public BearerTokenValidator(ValidatedTokenCache tokens, SigningKeyRing keys, IOptionsMonitor<AuthOptions> auth, TimeProvider time)
    {
        Tokens = tokens;
        Parameters = new TokenValidationParameters
        {
            ValidIssuer = GatewayClaims.Issuer,
            ValidAudience = GatewayClaims.Audience,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            IssuerSigningKeyResolver = (_, _, _, _) => keys.Current,
            // IdentityModel reads the system clock unless told otherwise (its TimeProvider is not public).
            LifetimeValidator = (notBefore, expires, _, _) => IsWithinLifetime(notBefore, expires, time, auth.CurrentValue.ClockSkew),
            ClockSkew = auth.CurrentValue.ClockSkew,
            NameClaimType = GatewayClaims.ClientId,
            RequireExpirationTime = true,
        };
    }

    /// <summary>The validated-token cache (also the full validation).</summary>
    public ValidatedTokenCache Tokens { get; }

    /// <summary>The parameters of the full validation (never changed after construction).</summary>
    public TokenValidationParameters Parameters { get; }

    /// <summary>
    /// The lifetime rule of the full validation and of a remembered token (<see cref="ValidatedTokenCache"/>): an expiry is
    /// required, and both ends are read on the injected clock with <paramref name="clockSkew"/>.
    /// </summary>
    internal static bool IsWithinLifetime(DateTime? notBefore, DateTime? expires, TimeProvider time, TimeSpan clockSkew)
    {
        if (expires is null)
        {
            return false;
        }

        var now = time.GetUtcNow().UtcDateTime;
        return (notBefore is null || notBefore.Value.ToUniversalTime() <= now + clockSkew)
            && expires.Value.ToUniversalTime() > now - clockSkew;
    }
}

/// <summary>
/// The <c>Bearer</c> authentication scheme: reads <c>Authorization: Bearer &lt;token&gt;</c> as JwtBearerHandler does
/// (scheme name case-insensitive, the token trimmed; no header, another scheme or an empty token is "no result"),
/// takes a remembered validation from <see cref="ValidatedTokenCache"/> or runs the full one, and answers challenges
/// and forbids with <see cref="BearerProblemResponses"/>. Fails closed: anything but a valid token (malformed, expired,
/// wrong key, wrong issuer or audience, an exception while validating) is a failure, and a request that carried one
/// gets 401 with <c>error="invalid_token"</c>. One instance per request and scheme (transient), with no per-request
/// logger, options lookup, events or validation parameter copies.
/// </summary>
internal sealed partial class BearerTokenHandler(BearerTokenValidator validator, ILogger<BearerTokenHandler> logger) : IAuthenticationHandler
{
    /// <summary>The scheme's name (the same as JwtBearerDefaults.AuthenticationScheme).</summary>
    public const string SchemeName = "Bearer";

    private const string Prefix = "Bearer ";

    private HttpContext _context = null!;
    private string _scheme = SchemeName;
    private Task<AuthenticateResult>? _result;

    public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        ArgumentNullException.ThrowIfNull(context);
        _scheme = scheme.Name;
        _context = context;
        _result = null;
        return Task.CompletedTask;
    }

    /// <summary>Authenticates once per request; later calls (the challenge, authorization) get the same result.</summary>
    public Task<AuthenticateResult> AuthenticateAsync() => _result ??= AuthenticateCoreAsync();

    public async Task ChallengeAsync(AuthenticationProperties? properties)
    {
        var result = await AuthenticateAsync().ConfigureAwait(false);
        await BearerProblemResponses.ChallengeAsync(_context, tokenRefused: result.Failure is not null).ConfigureAwait(false);
    }

    public Task ForbidAsync(AuthenticationProperties? properties) => BearerProblemResponses.ForbiddenAsync(_context);

    private Task<AuthenticateResult> AuthenticateCoreAsync()
    {
        // As JwtBearerHandler: several header values are read joined, as one (and then fail as a token).
        var authorization = _context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var token = authorization.AsSpan(Prefix.Length).Trim();
        if (token.IsEmpty)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        return validator.Tokens.TryGetValidated(token, out var remembered)
            ? Task.FromResult(Success(remembered))
            : ValidateAsync(token.ToString());
    }

    private async Task<AuthenticateResult> ValidateAsync(string token)
    {
        Exception failure;
        try
        {
            var result = await validator.Tokens.ValidateTokenAsync(token, validator.Parameters).ConfigureAwait(false);
            if (result.IsValid && result.ClaimsIdentity is { } identity)
            {
                return Success(identity);
            }

            failure = result.Exception ?? new SecurityTokenValidationException("The token was not valid.");
        }
#pragma warning disable CA1031 // Fails closed: whatever went wrong while validating, the token is not accepted.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
        }

        // The failure's type only: never the token, never IdentityModel's message.
        Log.TokenRefused(logger, failure.GetType().Name);
        return AuthenticateResult.Fail(failure);
    }

    private AuthenticateResult Success(ClaimsIdentity identity) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), _scheme));

    private static partial class Log
    {
        [LoggerMessage(EventId = 2004, EventName = "BearerTokenRefused", Level = LogLevel.Information,
            Message = "A bearer token was refused ({FailureType}).")]
        public static partial void TokenRefused(ILogger logger, string failureType);
    }
}
