using Messaging.Resilience.Deadlines;
using Polly;

namespace Messaging.Workers.Execution;

/// <summary>
/// What the resilience layers know about one delivery of a command: its id (also the idempotency key sent
/// downstream), type, tenant, deadline and attempt, and the dependencies its endpoint declared. The
/// <see cref="ExecutionProfileFilter{TMessage}"/> builds it from the message headers and puts it in the
/// consume context's payload; <see cref="CreateResilienceContext"/> turns it into the Polly context every
/// call of the delivery runs with, so each pipeline bounds its timeouts by the deadline.
/// </summary>
/// <param name="CommandId">The command id.</param>
/// <param name="CommandType">The command type name (<c>payments.charge</c>), also the Polly operation key.</param>
/// <param name="Tenant">The tenant the transport headers name (the message's tenant when they name none).</param>
/// <param name="Deadline">The command's deadline, when known.</param>
/// <param name="Attempt">The delivery attempt the relay counted (1 for the first).</param>
/// <param name="Dependencies">The dependencies the endpoint's handler calls (<c>payments</c>, <c>postgres</c>).</param>
internal sealed record ExecutionProfile(
    Guid CommandId,
    string CommandType,
    string Tenant,
    Deadline? Deadline,
    int Attempt,
    IReadOnlyList<string> Dependencies)
{
    /// <summary>The key under which the resilience context carries the profile.</summary>
    public static readonly ResiliencePropertyKey<ExecutionProfile> PropertyKey = new("Messaging.ExecutionProfile");

    /// <summary>
    /// A pooled resilience context that carries the deadline and this profile, cancelled with
    /// <paramref name="cancellationToken"/>. Give it back with <c>ResilienceContextPool.Shared.Return</c>.
    /// </summary>
    public ResilienceContext CreateResilienceContext(CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(CommandType, cancellationToken);
        if (Deadline is { } deadline)
        {
            context.Properties.Set(Resilience.Deadlines.Deadline.PropertyKey, deadline);
        }

        context.Properties.Set(PropertyKey, this);
        return context;
    }
}
