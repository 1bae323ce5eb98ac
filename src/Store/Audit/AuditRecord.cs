namespace Messaging.Store.Audit;

/// <summary>One audited action, before it is written.</summary>
/// <param name="Actor">Who acted.</param>
/// <param name="Action">One of <see cref="AuditActions"/>.</param>
/// <param name="Target">What it acted on: a breaker name, a client id, a command id, <c>dead-letters</c>.</param>
/// <param name="Tenant">The tenant the action touched; <see langword="null"/> for the fleet (only operators read those).</param>
/// <param name="Outcome"><see cref="AuditActions.Succeeded"/> or <see cref="AuditActions.Refused"/>.</param>
/// <param name="Detail">What else an operator needs (a filter, a count, scopes); serialized as JSON. Never a secret.</param>
public sealed record AuditRecord(AuditActor Actor, string Action, string Target, string? Tenant, string Outcome, object? Detail = null);
