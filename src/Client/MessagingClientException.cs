using System.Net;

namespace Messaging.Client;

/// <summary>
/// A call to the gateway failed: it answered with an error (<see cref="StatusCode"/> and, from its RFC 9457
/// problem or RFC 6749 error body, <see cref="ProblemType"/>, <see cref="ProblemTitle"/> and so on), or it
/// could not be reached after the retries (<see cref="StatusCode"/> null, the cause as inner exception).
/// </summary>
public sealed class MessagingClientException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public MessagingClientException()
        : this("The gateway call failed.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public MessagingClientException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    public MessagingClientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status of the answer; null when no answer came.</summary>
    public HttpStatusCode? StatusCode { get; init; }

    /// <summary>The problem's <c>type</c>.</summary>
    public string? ProblemType { get; init; }

    /// <summary>The problem's <c>title</c>.</summary>
    public string? ProblemTitle { get; init; }

    /// <summary>The problem's <c>detail</c> (or the OAuth <c>error_description</c>).</summary>
    public string? ProblemDetail { get; init; }

    /// <summary>The OAuth error code of a token request (<c>invalid_client</c>, <c>temporarily_unavailable</c>).</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Validation messages per field, for a 400 (for a batch keyed by item: <c>items[3].body.amount</c>).</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; init; } = new Dictionary<string, string[]>();

    /// <summary>
    /// For a refused batch (400, 409, 422): the indexes of the items that failed, in ascending order; nothing of the batch
    /// was stored. Empty for any other failure.
    /// </summary>
    public IReadOnlyList<int> FailedItems { get; init; } = [];

    /// <summary>
    /// For a 409 of <see cref="MessagingClient.CancelAsync"/>: the status the command is in, which is why it can no longer
    /// be cancelled (<see cref="Client.CommandStatus.Processing"/> while an attempt runs, or the status it ended in). Null
    /// for any other failure.
    /// </summary>
    public CommandStatus? CommandStatus { get; init; }

    /// <summary>The gateway's trace id of the failed request, for support.</summary>
    public string? TraceId { get; init; }

    /// <summary>
    /// For a 403 refused for lack of scope: the scope the call needs, for example <c>operator</c> for breaker control or
    /// <c>admin or operator</c> for the operations API. Null for any other failure, and for a 403 the gateway explained
    /// itself (a tenant admin asking for another tenant: see <see cref="ProblemDetail"/>).
    /// </summary>
    public string? RequiredScope { get; init; }

    /// <summary>How long the gateway asked to wait (<c>Retry-After</c>) before trying again.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>
    /// Whether trying again later may succeed: no answer, 503 or 429. Everything else (every other 4xx)
    /// needs a change to the request.
    /// </summary>
    public bool IsTransient => StatusCode is null or HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests;
}
