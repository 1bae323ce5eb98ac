using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Gateway.Tests.Auth;

/// <summary>
/// A <see cref="GatewayHost"/> with two test-only endpoints behind the real authentication and scope policies:
/// <see cref="CommandsProbe"/> (policy <c>commands</c>) and <see cref="AdminProbe"/> (policy <c>admin</c>). Both
/// answer the caller's client id, tenant and scopes. Variants made with <c>Factory.WithWebHostBuilder</c> keep them.
/// </summary>
public sealed class AuthProbeHost : GatewayHost
{
    public const string CommandsProbe = "/_probe/commands";
    public const string AdminProbe = "/_probe/admin";

    protected override void ConfigureWebHost(IWebHostBuilder builder) =>
        builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter, ProbeEndpoints>());

    private sealed class ProbeEndpoints : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            // A branch of its own, so the gateway's pipeline is untouched for every other path.
            app.MapWhen(context => context.Request.Path.StartsWithSegments("/_probe"), probe =>
            {
                probe.UseRouting();
                probe.UseAuthentication();
                probe.UseAuthorization();
                probe.UseEndpoints(endpoints =>
                {
                    endpoints.MapGet(CommandsProbe, Describe).RequireAuthorization(GatewayClaims.CommandsScope);
                    endpoints.MapGet(AdminProbe, Describe).RequireAuthorization(GatewayClaims.AdminScope);
                });
            });
            next(app);
        };

        private static ProbeResponse Describe(ClaimsPrincipal user) => new(
            user.FindFirstValue(GatewayClaims.ClientId),
            user.FindFirstValue(GatewayClaims.Tenant),
            user.FindFirstValue(GatewayClaims.Scope));
    }
}
