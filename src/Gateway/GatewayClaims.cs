using System.Security.Claims;

namespace Messaging.Gateway;

/// <summary>
/// The shape of the gateway's access tokens (JWT, HS256, signed with <c>Auth:SigningKeys:0</c>,
/// verified with any of <c>Auth:SigningKeys</c>), and the authorization policy names.
/// </summary>
internal static class GatewayClaims
{
    /// <summary>Token issuer and audience.</summary>
    public const string Issuer = "messaging-gateway";

    /// <inheritdoc cref="Issuer"/>
    public const string Audience = "messaging-gateway";

    /// <summary>The client id (also in <c>sub</c>).</summary>
    public const string ClientId = "client_id";

    /// <summary>The tenant every command, status and list is scoped to.</summary>
    public const string Tenant = "tenant";

    /// <summary>Space-separated scopes, as in RFC 8693 / RFC 9068.</summary>
    public const string Scope = "scope";

    /// <summary>Scope and policy: submit and read the own tenant's commands.</summary>
    public const string CommandsScope = "commands";

    /// <summary>
    /// Scope and policy: the operations API for the token's own tenant (its dead letters, redrives, audit records and
    /// share of the overview). The policy also admits operators, who see every tenant.
    /// </summary>
    public const string AdminScope = "admin";

    /// <summary>
    /// Scope and policy: the fleet (every tenant's dead letters and audit records, bulk redrive across tenants,
    /// breaker isolate/reset). Granted only to clients of <see cref="OperatorTenant"/> (<c>clients add --operator</c>).
    /// </summary>
    public const string OperatorScope = "operator";

    /// <summary>The reserved tenant of operator clients: they hold <see cref="OperatorScope"/> and nothing else.</summary>
    public const string OperatorTenant = "operators";

    /// <summary>Every scope a client can hold.</summary>
    public static IReadOnlyList<string> AllScopes { get; } = [CommandsScope, AdminScope, OperatorScope];

    /// <summary>Whether <paramref name="scope"/> is one of <see cref="AllScopes"/> (ordinal, case-sensitive).</summary>
    public static bool IsKnownScope(string scope) => AllScopes.Contains(scope, StringComparer.Ordinal);

    /// <summary>
    /// The first value of claim <paramref name="type"/> (ordinal, as the bearer handler's identities compare), or null;
    /// without the predicate closure and enumerators <c>FindFirstValue</c> allocates on every request.
    /// </summary>
    public static string? FirstValue(ClaimsPrincipal user, string type)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Identity is ClaimsIdentity { } primary && FirstValue(primary, type) is { } value)
        {
            return value;
        }

        foreach (var identity in user.Identities)
        {
            if (!ReferenceEquals(identity, user.Identity) && FirstValue(identity, type) is { } other)
            {
                return other;
            }
        }

        return null;
    }

    private static string? FirstValue(ClaimsIdentity identity, string type)
    {
        foreach (var claim in identity.Claims)
        {
            if (string.Equals(claim.Type, type, StringComparison.Ordinal))
            {
                return claim.Value;
            }
        }

        return null;
    }
}
