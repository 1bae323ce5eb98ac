using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Gateway.Auth;

/// <summary>Wires authentication (local JWT validation) and the scope policies.</summary>
internal static class AuthServiceCollectionExtensions
{
    public static WebApplicationBuilder AddGatewayAuth(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<AuthOptions>()
            .Bind(builder.Configuration.GetSection(AuthOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.SigningKeys.All(k => Encoding.UTF8.GetByteCount(k) >= 32), "Auth:SigningKeys: every key must be at least 32 bytes.")
            .ValidateOnStart();
        builder.Services.AddSingleton<AccessTokenIssuer>();

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptionsMonitor<AuthOptions>, TimeProvider>((jwt, auth, time) =>
            {
                jwt.MapInboundClaims = false;
                jwt.TimeProvider = time;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = GatewayClaims.Issuer,
                    ValidAudience = GatewayClaims.Audience,
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    IssuerSigningKeyResolver = (_, _, _, _) => AccessTokenIssuer.SigningKeys(auth.CurrentValue),
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

    private static bool HasScope(System.Security.Claims.ClaimsPrincipal user, string scope) =>
        user.FindAll(GatewayClaims.Scope).Any(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(scope, StringComparer.Ordinal));
}
