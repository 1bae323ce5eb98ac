using Npgsql;
using Polly.CircuitBreaker;
using StackExchange.Redis;

namespace Messaging.Resilience.Classification;

/// <summary>
/// Whether a dependency is unavailable, for the places that degrade instead of failing (answer 503, fall back,
/// hold a message, show a partial view): one answer per dependency. Unavailable is what
/// <see cref="TransientFailures"/> calls transient for that dependency (transport and connection failures, its
/// transient server errors, <see cref="TimeoutException"/>, Polly's <see cref="Polly.Timeout.TimeoutRejectedException"/>)
/// and, beyond it, an open breaker (<see cref="BrokenCircuitException"/>, <see cref="IsolatedCircuitException"/>
/// included), which is never retried but is the plainest "unavailable" there is. An error the dependency answered
/// with (a constraint violation, <c>WRONGTYPE</c>) is not an outage: a place that tolerates such errors as well
/// says so beside its own catch.
/// </summary>
/// <remarks>
/// An <see cref="OperationCanceledException"/> is never unavailable, whatever it wraps: only the caller knows
/// whether it was its own token (which must propagate) or a timeout of its own (which it tests for itself).
/// A <see cref="BrokenCircuitException"/> does not name its breaker; the caller knows which pipeline it used.
/// </remarks>
public static class DependencyUnavailable
{
    /// <summary>
    /// PostgreSQL cannot answer: Npgsql's connection and I/O failures, transient SQLSTATEs
    /// (<see cref="TransientFailures.IsTransientSqlState"/>: shutdowns, class 08, too many connections,
    /// serialization failures, deadlocks), timeouts, or its breaker open.
    /// </summary>
    /// <param name="exception">What the call to PostgreSQL (or through its pipeline) threw.</param>
    public static bool IsPostgresUnavailable(Exception exception) => IsUnavailable(exception, TransientFailures.IsTransientPostgres);

    /// <summary>
    /// Redis cannot answer: connection failures, Redis timeouts and other timeouts, socket and I/O failures,
    /// or its breaker open. Not a server error reply such as <c>WRONGTYPE</c>, nor a value that cannot be read.
    /// </summary>
    /// <param name="exception">What the call to Redis (or through its pipeline) threw.</param>
    public static bool IsRedisUnavailable(Exception exception) => IsUnavailable(exception, TransientFailures.IsTransientRedis);

    /// <summary>
    /// PostgreSQL is unavailable (<see cref="IsPostgresUnavailable"/>) or answered with an error of its own (any
    /// <see cref="NpgsqlException"/>: a missing table, a refused login): for places that degrade the same way either
    /// way (fail closed, show a partial view) because the work they needed was not done.
    /// </summary>
    /// <param name="exception">What the call to PostgreSQL (or through its pipeline) threw.</param>
    public static bool IsPostgresFailure(Exception exception) => IsPostgresUnavailable(exception) || exception is NpgsqlException;

    /// <summary>
    /// Redis is unavailable (<see cref="IsRedisUnavailable"/>) or answered with an error (out of memory, a wrong
    /// type: any <see cref="RedisException"/>): for places that degrade the same way either way.
    /// </summary>
    /// <param name="exception">What the call to Redis (or through its pipeline) threw.</param>
    public static bool IsRedisFailure(Exception exception) => IsRedisUnavailable(exception) || exception is RedisException;

    private static bool IsUnavailable(Exception exception, Func<Exception, bool> isTransient)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            OperationCanceledException => false,
            BrokenCircuitException => true,
            _ => isTransient(exception),
        };
    }
}
