using System.Security.Claims;
using Messaging.Store.Audit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Gateway.Auth;

/// <summary>
/// The caller of the operations API, from its token: an operator sees the fleet, a tenant admin its own tenant. Every
/// operations endpoint narrows what it reads and changes through <see cref="TryNarrow"/>, so the tenant boundary is
/// decided in one place.
/// </summary>
/// <param name="ClientId">The client id from the token.</param>
/// <param name="Tenant">The token's tenant.</param>
/// <param name="IsOperator">Whether the token carries scope <c>operator</c> and the operator tenant.</param>
internal sealed record OperationsCaller(string ClientId, string Tenant, bool IsOperator)
{
    /// <summary>The caller of an authorized request (the <c>admin</c> or <c>operator</c> policy has admitted it).</summary>
    public static OperationsCaller From(ClaimsPrincipal user) => new(
        GatewayClaims.FirstValue(user, GatewayClaims.ClientId) ?? "unknown",
        GatewayClaims.FirstValue(user, GatewayClaims.Tenant) ?? "",
        AuthServiceCollectionExtensions.IsOperator(user));

    /// <summary>Who acted, for the audit trail.</summary>
    public AuditActor Actor => new(ClientId, Tenant);

    /// <summary>
    /// The tenant a read or an action is narrowed to: for an operator, the requested one (<see langword="null"/>: every
    /// tenant); for a tenant admin, its own, and <see langword="false"/> when it asked for another.
    /// </summary>
    public bool TryNarrow(string? requested, out string? tenant)
    {
        if (IsOperator)
        {
            tenant = requested;
            return true;
        }

        tenant = Tenant;
        return requested is null || string.Equals(requested, Tenant, StringComparison.Ordinal);
    }

    /// <summary>
    /// The answer to a tenant admin that asked for another tenant: 403, the same for every other tenant name, so it
    /// tells nothing about which tenants exist.
    /// </summary>
    public static ProblemHttpResult OtherTenant() => TypedResults.Problem(
        statusCode: StatusCodes.Status403Forbidden,
        title: "Forbidden",
        detail: "Scope admin covers the token's own tenant only; the fleet needs scope operator.");
}
