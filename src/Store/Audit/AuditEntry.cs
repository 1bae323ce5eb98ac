using System.Text.Json;

namespace Messaging.Store.Audit;

/// <summary>A stored audit record, as <c>GET /api/monitoring/audit</c> returns it.</summary>
/// <param name="Id">Ascending; the cursor for older records.</param>
/// <param name="At">When the action was taken.</param>
/// <param name="ActorClient">The acting client (or <c>local:&lt;user&gt;</c>).</param>
/// <param name="ActorTenant">The acting client's tenant.</param>
/// <param name="Action">One of <see cref="AuditActions"/>.</param>
/// <param name="Target">What it acted on.</param>
/// <param name="Tenant">The tenant it touched; <see langword="null"/> for the fleet.</param>
/// <param name="Outcome"><c>succeeded</c> or <c>refused</c>.</param>
/// <param name="Detail">The action's detail, if any.</param>
public sealed record AuditEntry(
    long Id, DateTimeOffset At, string ActorClient, string? ActorTenant, string Action, string Target, string? Tenant, string Outcome, JsonElement? Detail);
