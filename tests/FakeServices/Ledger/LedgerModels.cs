namespace Messaging.FakeServices.Ledger;

/// <summary>What the provider did for a request that reached its business logic.</summary>
internal enum OutcomeKind
{
    /// <summary>Something happened (a charge was made, a message accepted, a label created): the effect the checker counts.</summary>
    Effect,

    /// <summary>
    /// A business refusal (declined card, refused recipient, undeliverable address, rejected or unknown
    /// contact): stored under the key, no effect.
    /// </summary>
    Refusal,
}

/// <summary>
/// The stored answer of an idempotent request: replayed verbatim (same status, same body) for every
/// later request with the same key. A null body is an answer without content (204).
/// </summary>
internal sealed record ProviderOutcome(OutcomeKind Kind, int Status, object? Body, string? EffectId);

/// <summary>The answer to one idempotent request and whether it was a replay of an earlier one.</summary>
internal readonly record struct IdempotentResult(ProviderOutcome Outcome, bool Replayed);

/// <summary>One request received by an instance (provider routes only; control calls are not logged).</summary>
/// <param name="Sequence">Increasing number per provider, for paging with <c>after</c>.</param>
/// <param name="Provider">The provider's wire name (<c>payments</c>, <c>notifications</c>, <c>shipping</c>, <c>crm</c>).</param>
/// <param name="Instance">The instance that received the request.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">
/// The request path, for example <c>/v1/charges</c>: the path ASP.NET Core decoded, escaped again, so it may
/// differ from what was sent (<c>%26</c> reads <c>&amp;</c>). The CRM's recorded requests keep the raw path.
/// </param>
/// <param name="IdempotencyKey">The valid <c>Idempotency-Key</c>, or null.</param>
/// <param name="Status">The status answered; 0 when the connection was reset, 499 when the client went away.</param>
/// <param name="Fault">The injected fault that decided the answer (<c>outage</c>, <c>error</c>, <c>too-many-requests</c>, <c>reset</c>), or null.</param>
/// <param name="FaultAfterEffect">True when the fault replaced the answer after the request took effect.</param>
/// <param name="Replayed">True when the answer was the stored answer of an earlier request with the same key.</param>
/// <param name="LatencyMs">The injected latency applied to this request.</param>
/// <param name="ReceivedAt">When the request arrived (before any injected latency), from the TimeProvider.</param>
/// <param name="CompletedAt">When the answer was decided, from the TimeProvider.</param>
internal sealed record RequestLogEntry(
    long Sequence,
    string Provider,
    string Instance,
    string Method,
    string Path,
    string? IdempotencyKey,
    int Status,
    string? Fault,
    bool FaultAfterEffect,
    bool Replayed,
    int LatencyMs,
    DateTimeOffset ReceivedAt,
    DateTimeOffset CompletedAt);

/// <summary>One idempotency key that produced an effect.</summary>
/// <param name="IdempotencyKey">The key.</param>
/// <param name="Id">The effect's id (<c>ch_...</c>, <c>msg_...</c>, <c>lbl_...</c>; for the CRM see tests/FakeServices/README.md).</param>
/// <param name="Instance">The instance that produced the effect.</param>
/// <param name="FirstAt">When the effect was produced.</param>
/// <param name="Status">The stored status, replayed to later requests with the key.</param>
/// <param name="RequestCount">Every request that arrived with this key, on any instance, whatever its answer.</param>
/// <param name="MismatchedRequests">Later requests with this key whose body differed from the first one (they got the first answer anyway).</param>
internal sealed record EffectEntry(
    string IdempotencyKey,
    string Id,
    string Instance,
    DateTimeOffset FirstAt,
    int RequestCount,
    int Status,
    int MismatchedRequests);

/// <summary>The ledger of one provider: the answer of <c>GET /control/ledger</c>.</summary>
/// <param name="Provider">The provider's wire name.</param>
/// <param name="Requests">API requests received (charges, messages, labels or CRM calls), whatever their answer.</param>
/// <param name="TokenRequests">Requests to the token endpoint (payments only).</param>
/// <param name="DistinctEffects">Idempotency keys that produced an effect.</param>
/// <param name="DuplicateEffects">Keys that produced more than one effect. The fake never does this; it is counted, not assumed.</param>
/// <param name="EffectsProduced">Effects produced in total (equals DistinctEffects plus the surplus of duplicates).</param>
/// <param name="Refusals">
/// Keys whose stored answer is a business refusal (402 card_declined, 400 recipient_refused, 422 undeliverable,
/// 422 invalid_contact, 404 not_found of the CRM).
/// </param>
/// <param name="Replays">Requests answered with a stored answer.</param>
/// <param name="MismatchedReplays">Replays whose body differed from the first request's body.</param>
/// <param name="RequestsByInstance">Every logged request (API and token) per instance.</param>
/// <param name="Effects">The keys that produced an effect, oldest first.</param>
internal sealed record LedgerSnapshot(
    string Provider,
    long Requests,
    long TokenRequests,
    int DistinctEffects,
    int DuplicateEffects,
    long EffectsProduced,
    int Refusals,
    long Replays,
    long MismatchedReplays,
    IReadOnlyDictionary<string, long> RequestsByInstance,
    IReadOnlyList<EffectEntry> Effects);

/// <summary>A filter on the request log.</summary>
internal sealed record RequestLogQuery(string? Instance, string? Path, DateTimeOffset? Since, long? After, int Limit);
