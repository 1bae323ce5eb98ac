using System.Net;

namespace Messaging.CommandTypes.Providers;

/// <summary>
/// A provider call that ended without a business answer (neither a result nor a refusal). Transient
/// failures are worth another delivery; the others (an answer outside the provider's contract,
/// rejected credentials) are not, and go straight to the endpoint's error queue.
/// </summary>
/// <remarks>The message never carries response bodies or headers: it ends up in logs and fault messages.</remarks>
public class ProviderException(
    string provider, string reason, bool isTransient, HttpStatusCode? statusCode = null, Exception? innerException = null, TimeSpan? retryAfter = null)
    : Exception($"The {provider} provider call failed: {reason}.", innerException)
{
    /// <summary>The provider's name, for example <c>payments</c>.</summary>
    public string Provider { get; } = provider;

    /// <summary>Whether a later attempt can succeed (5xx, 408, 429, timeouts, connection failures).</summary>
    public bool IsTransient { get; } = isTransient;

    /// <summary>The provider's HTTP status code, when it answered.</summary>
    public HttpStatusCode? StatusCode { get; } = statusCode;

    /// <summary>How long the provider asked to wait (<c>Retry-After</c> on a 429 or 503), when it said.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>The short, safe reason (no provider text): <c>connection failed</c>, <c>unexpected status 503</c>.</summary>
    public string Reason { get; } = reason;

    /// <summary>
    /// Whether the call was rejected by an open (or isolated) breaker without reaching the provider: with
    /// failover, the last endpoint tried refused it this way.
    /// </summary>
    public bool RejectedByBreaker => InnerException is Polly.CircuitBreaker.BrokenCircuitException;

    /// <summary>
    /// Whether no request was sent because a limit of the target itself refused it for now (the breaker or the concurrency
    /// limit of one callback origin): the command comes back after <see cref="RetryAfter"/> as the same attempt, which does
    /// not count. Made by <see cref="Deferral"/>.
    /// </summary>
    public bool IsDeferral { get; private init; }

    /// <summary>
    /// A call that was not made because the target's own limit refused it for now: the command is deferred by
    /// <paramref name="retryAfter"/> without counting an attempt (see <see cref="IsDeferral"/>).
    /// </summary>
    public static ProviderException Deferral(string provider, string reason, TimeSpan retryAfter, Exception? innerException = null) =>
        new(provider, reason, isTransient: true, innerException: innerException, retryAfter: retryAfter) { IsDeferral = true };
}
