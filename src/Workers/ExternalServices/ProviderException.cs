using System.Net;

namespace Messaging.Workers.ExternalServices;

/// <summary>
/// A provider call that ended without a business answer (neither a result nor a refusal). Transient
/// failures are worth another delivery; the others (an answer outside the provider's contract,
/// rejected credentials) are not, and go straight to the endpoint's error queue.
/// </summary>
/// <remarks>The message never carries response bodies or headers: it ends up in logs and fault messages.</remarks>
internal class ProviderException(string provider, string reason, bool isTransient, HttpStatusCode? statusCode = null, Exception? innerException = null)
    : Exception($"The {provider} provider call failed: {reason}.", innerException)
{
    /// <summary>The provider's name, for example <c>payments</c>.</summary>
    public string Provider { get; } = provider;

    /// <summary>Whether a later attempt can succeed (5xx, 408, 429, timeouts, connection failures).</summary>
    public bool IsTransient { get; } = isTransient;

    /// <summary>The provider's HTTP status code, when it answered.</summary>
    public HttpStatusCode? StatusCode { get; } = statusCode;
}
