using System.Text.Json;

namespace Messaging.Client;

/// <summary>One audited action (<c>GET /api/monitoring/audit</c>).</summary>
/// <param name="Id">Ascending with time; pass it as <see cref="AuditQuery.Before"/> to read older records.</param>
/// <param name="At">When the action was taken.</param>
/// <param name="ActorClient">The acting client, or <c>local:&lt;user&gt;</c> for the gateway's own <c>clients</c> command line.</param>
/// <param name="ActorTenant">The acting client's tenant (<c>operators</c> for an operator); null for the local command line.</param>
/// <param name="Action">
/// <c>breaker.isolate</c>, <c>breaker.reset</c>, <c>client.add</c>, <c>client.revoke</c>, <c>command.redrive</c> or
/// <c>dead-letters.redrive</c>; a newer gateway may add others.
/// </param>
/// <param name="Target">What it acted on: a breaker name, a client id, a command id, <c>dead-letters</c>.</param>
/// <param name="Tenant">The tenant it touched; null for the fleet (breakers, a redrive across tenants).</param>
/// <param name="Outcome"><c>succeeded</c> or <c>refused</c>.</param>
/// <param name="Detail">What else the gateway recorded (a filter, a count, scopes), as JSON; never a secret.</param>
public sealed record AuditRecordInfo(
    long Id,
    DateTimeOffset At,
    string ActorClient,
    string? ActorTenant,
    string Action,
    string Target,
    string? Tenant,
    string Outcome,
    JsonElement? Detail);
