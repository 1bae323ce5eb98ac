namespace Messaging.Resilience.Classification;

/// <summary>A dependency's notion of transient failure.</summary>
/// <param name="IsTransientException">Whether a thrown exception is worth retrying.</param>
/// <param name="IsTransientResult">Whether a returned result (for example an HTTP 503) is worth retrying.</param>
/// <param name="RetryAfter">The delay a result asks for before the next try, if any.</param>
public sealed record TransientClassifier(
    Func<Exception, bool> IsTransientException,
    Func<object?, bool> IsTransientResult,
    Func<object?, TimeSpan?> RetryAfter)
{
    /// <summary>Whether the outcome (exception or result) is transient.</summary>
    public bool IsTransient(Exception? exception, object? result) =>
        exception is not null ? IsTransientException(exception) : IsTransientResult(result);
}
