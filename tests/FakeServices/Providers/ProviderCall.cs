using Messaging.FakeServices.Instances;

namespace Messaging.FakeServices.Providers;

/// <summary>
/// The provider request in progress, set by <see cref="ProviderRequestFilter"/> as a request feature:
/// the instance it is for, and what the handler reports back for the ledger.
/// </summary>
internal sealed class ProviderCall(FakeInstance instance, string? idempotencyKey)
{
    public FakeInstance Instance { get; } = instance;

    /// <summary>The request's valid <c>Idempotency-Key</c>, or null when it had none or an invalid one.</summary>
    public string? IdempotencyKey { get; } = idempotencyKey;

    /// <summary>Set by the handler when it answered with the stored answer of an earlier request.</summary>
    public bool Replayed { get; set; }

    /// <summary>
    /// Set by <see cref="ProviderRequestFilter"/> when the answer is decided: the status as logged in the
    /// ledger (0 for a reset connection, 499 when the client went away).
    /// </summary>
    public int Status { get; set; }

    /// <summary>Set by <see cref="ProviderRequestFilter"/>: the injected fault that decided the answer, or null.</summary>
    public string? Fault { get; set; }

    /// <summary>Set by <see cref="ProviderRequestFilter"/>: true when the fault replaced the answer after the effect.</summary>
    public bool FaultAfterEffect { get; set; }

    public static ProviderCall Of(HttpContext context) =>
        context.Features.Get<ProviderCall>() ?? throw new InvalidOperationException("Provider routes must carry the ProviderRequestFilter.");
}
