using System.Security.Claims;
using Messaging.Gateway.Clients;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Gateway.Auth;

/// <summary>Wires authentication (local JWT validation), the scope policies and the token endpoint's services.</summary>
internal static class AuthServiceCollectionExtensions
{
    /// <summary>
    /// Adds JWT bearer authentication (problem+json 401/403), the <c>commands</c> and <c>admin</c> policies,
    /// <see cref="AuthOptions"/> validated at start, the client store and the token endpoint's handler.
    /// Needs the <c>NpgsqlDataSource</c> from <c>AddMessagingPostgres()</c>.
    /// </summary>
    public static WebApplicationBuilder AddGatewayAuth(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<AuthOptions>()
            .Bind(builder.Configuration.GetSection(AuthOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        builder.Services.AddSingleton<SigningKeyRing>();
        builder.Services.AddSingleton(sp =>
        {
            var auth = sp.GetRequiredService<IOptionsMonitor<AuthOptions>>();
            return new ValidatedTokenCache(sp.GetRequiredService<SigningKeyRing>(), sp.GetRequiredService<TimeProvider>(), () => auth.CurrentValue.ClockSkew)
            {
                MapInboundClaims = false,
            };
        });
        builder.Services.AddSingleton<AccessTokenIssuer>();
        builder.AddGatewayClients();
        builder.Services.AddSingleton<ClientCredentialsTokenHandler>();

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptionsMonitor<AuthOptions>, SigningKeyRing, ValidatedTokenCache, TimeProvider>((jwt, auth, keys, tokens, time) =>
            {
                jwt.MapInboundClaims = false;
                // Full validation for a token not seen before, then only its lifetime (and the keys) per request: see ValidatedTokenCache.
                jwt.TokenHandlers.Clear();
                jwt.TokenHandlers.Add(tokens);
                // Nothing reads the raw token back from the authentication properties (GetTokenAsync): not saving it
                // spares a dictionary per request and keeps the bearer token out of the request's state.
                jwt.SaveToken = false;
                jwt.TimeProvider = time;
                jwt.Events = BearerProblemEvents.Create();
                jwt.TokenValidationParameters = new TokenValidationParameters
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
            });

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(GatewayClaims.CommandsScope, p => p.RequireAuthenticatedUser().RequireAssertion(c => HasScope(c.User, GatewayClaims.CommandsScope)))
            .AddPolicy(GatewayClaims.AdminScope, p => p.RequireAuthenticatedUser().RequireAssertion(c => HasScope(c.User, GatewayClaims.AdminScope)));
        return builder;
    }

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

    /// <summary>Whether a <c>scope</c> claim lists <paramref name="scope"/> (space-separated; no array per request).</summary>
    internal static bool HasScope(ClaimsPrincipal user, string scope)
    {
        // Over the identities' claims directly: FindAll would allocate a predicate and two enumerators per request.
        foreach (var identity in user.Identities)
        {
            foreach (var claim in identity.Claims)
            {
                if (!string.Equals(claim.Type, GatewayClaims.Scope, StringComparison.Ordinal))
                {
                    continue;
                }

                var value = claim.Value.AsSpan();
                foreach (var range in value.Split(' '))
                {
                    if (value[range].SequenceEqual(scope))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }
}
