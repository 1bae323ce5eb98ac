using System.Security.Claims;
using Messaging.Gateway.Clients;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Auth;

/// <summary>Wires authentication (local JWT validation), the scope policies and the token endpoint's services.</summary>
internal static class AuthServiceCollectionExtensions
{
    /// <summary>
    /// Adds the framework's JwtBearer scheme over the gateway's JWTs (<see cref="AccessTokenValidation"/>; revoked
    /// clients refused and problem+json 401/403 through <see cref="BearerEvents"/>), the revocation list and its
    /// refresher, the <c>commands</c>, <c>admin</c> and <c>operator</c> policies,
    /// <see cref="AuthOptions"/> validated at start, the client store and the token endpoint's handler.
    /// Needs the <c>NpgsqlDataSource</c> from <c>AddMessagingPostgres()</c> (called before, so that the schema
    /// migration runs before the first read of the revocation list).
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
        builder.Services.AddSingleton<AccessTokenIssuer>();
        builder.AddGatewayClients();
        builder.Services.AddSingleton<ClientCredentialsTokenHandler>();

        builder.Services.AddSingleton<RevokedClients>();
        builder.Services.AddHostedService<RevokedClientsRefresher>();
        builder.Services.AddSingleton<BearerEvents>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptionsMonitor<AuthOptions>, SigningKeyRing, TimeProvider>((jwt, auth, keys, time) =>
            {
                // Claim types as issued (client_id, tenant, scope), not mapped to the WS-* URIs.
                jwt.MapInboundClaims = false;
                // Nothing reads the raw token back from the authentication properties (GetTokenAsync): not saving it
                // spares a dictionary per request and keeps the bearer token out of the request's state.
                jwt.SaveToken = false;
                jwt.TimeProvider = time;
                jwt.EventsType = typeof(BearerEvents);
                jwt.TokenValidationParameters = AccessTokenValidation.Parameters(keys, auth, time);
            });

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(GatewayClaims.CommandsScope, p => p.RequireAuthenticatedUser().RequireAssertion(c => HasScope(c.User, GatewayClaims.CommandsScope)))
            .AddPolicy(GatewayClaims.AdminScope, p => p.RequireAuthenticatedUser()
                .RequireAssertion(c => HasScope(c.User, GatewayClaims.AdminScope) || IsOperator(c.User)))
            .AddPolicy(GatewayClaims.OperatorScope, p => p.RequireAuthenticatedUser().RequireAssertion(c => IsOperator(c.User)));
        return builder;
    }

    /// <summary>
    /// Whether the token is an operator's: scope <c>operator</c> and the reserved operator tenant. Both are checked,
    /// so a signing-key holder's mistake or a client row edited by hand cannot make a tenant's client an operator.
    /// </summary>
    internal static bool IsOperator(ClaimsPrincipal user) =>
        HasScope(user, GatewayClaims.OperatorScope)
        && string.Equals(GatewayClaims.FirstValue(user, GatewayClaims.Tenant), GatewayClaims.OperatorTenant, StringComparison.Ordinal);

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
