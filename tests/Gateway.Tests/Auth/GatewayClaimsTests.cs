using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Gateway.Tests.Auth;

public sealed class GatewayClaimsTests
{
    [Fact]
    public void FirstValue_OfTheBearerIdentity_ReturnsTheFirstClaimOfThatType()
    {
        var user = new ClaimsPrincipal(new CaseSensitiveClaimsIdentity(
            [new Claim(GatewayClaims.ClientId, "client-1"), new Claim(GatewayClaims.Tenant, "acme"), new Claim(GatewayClaims.Tenant, "other")], "Bearer"));

        Assert.Equal("acme", GatewayClaims.FirstValue(user, GatewayClaims.Tenant));
        Assert.Equal("client-1", GatewayClaims.FirstValue(user, GatewayClaims.ClientId));
    }

    [Fact]
    public void FirstValue_WithTheClaimOnlyInASecondIdentity_FindsIt()
    {
        var user = new ClaimsPrincipal([
            new ClaimsIdentity([new Claim(GatewayClaims.ClientId, "client-1")], "Bearer"),
            new ClaimsIdentity([new Claim(GatewayClaims.Tenant, "acme")], "Other"),
        ]);

        Assert.Equal("acme", GatewayClaims.FirstValue(user, GatewayClaims.Tenant));
    }

    [Fact]
    public void FirstValue_WithAnotherCaseOrNoSuchClaim_ReturnsNull()
    {
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim("Tenant", "acme")], "Bearer"));

        Assert.Null(GatewayClaims.FirstValue(user, GatewayClaims.Tenant));
        Assert.Null(GatewayClaims.FirstValue(new ClaimsPrincipal(), GatewayClaims.Tenant));
    }
}
