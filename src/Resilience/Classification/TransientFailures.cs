using System.Net;
using System.Net.Sockets;
using Npgsql;
using Polly.CircuitBreaker;
using Polly.Timeout;
using StackExchange.Redis;

namespace Messaging.Resilience.Classification;

/// <summary>
/// What counts as transient for each kind of dependency, in one place each. Transient failures are
/// retried and count towards breakers; everything else (a constraint violation, a syntax error, a
/// WRONGTYPE, a 4xx refusal) is returned at once and never retried.
/// </summary>
public static class TransientFailures
{
    /// <summary>PostgreSQL: connection trouble, serialization failures, deadlocks, shutdowns, too many connections.</summary>
    public static TransientClassifier Postgres { get; } = new(IsTransientPostgres, static _ => false, static _ => null);

    /// <summary>Redis: connection and timeout errors, not server errors such as WRONGTYPE.</summary>
    public static TransientClassifier Redis { get; } = new(IsTransientRedis, static _ => false, static _ => null);

    /// <summary>HTTP: 5xx, 408, 429, connection resets and attempt timeouts; never other 4xx.</summary>
    public static TransientClassifier Http { get; } = new(IsTransientHttpException, IsTransientHttpResult, RetryAfter);

    /// <summary>RabbitMQ publishes: broker and connection failures, confirm timeouts.</summary>
    public static TransientClassifier RabbitMq { get; } = new(IsTransientRabbitMq, static _ => false, static _ => null);

    /// <summary>Classifies an exception from Npgsql.</summary>
    public static bool IsTransientPostgres(Exception exception) => exception switch
    {
        PostgresException postgres => IsTransientSqlState(postgres.SqlState),
        NpgsqlException npgsql => npgsql.IsTransient || IsNoSuitableHost(npgsql) || AreAllHostsTransient(npgsql),
        _ => IsTransientCommon(exception),
    };

    /// <summary>
    /// A multi-host connection that tried every host and failed on each ("Unable to connect to a suitable host"): Npgsql
    /// wraps the per-host failures in an <see cref="AggregateException"/> under a plain, non-transient
    /// <see cref="NpgsqlException"/>. When every one of them is transient (a refused connection while the primary is down),
    /// so is the whole: seen as one 500 in the PostgreSQL failover scenario of the cluster.
    /// </summary>
    private static bool AreAllHostsTransient(NpgsqlException exception) =>
        exception.InnerException is AggregateException { InnerExceptions: { Count: > 0 } failures } && failures.All(IsTransientPostgres);

    /// <summary>
    /// A multi-host connection string (<c>Host=a,b;Target Session Attributes=primary</c>) found no host of the kind
    /// asked for: during a failover, while the old primary is down and the standby is not promoted yet (or Npgsql still
    /// remembers it as a standby, for <c>Host Recheck Seconds</c>). Npgsql throws a plain <see cref="NpgsqlException"/>
    /// that is not <see cref="NpgsqlException.IsTransient"/>, without an inner exception when every host was skipped from
    /// its cache; it passes once a primary answers, so it is retried like a refused connection (a 503, never a 500).
    /// </summary>
    private static bool IsNoSuitableHost(NpgsqlException exception) =>
        exception.GetType() == typeof(NpgsqlException) && exception.Message.StartsWith("No suitable host", StringComparison.Ordinal);

    /// <summary>
    /// SQLSTATEs worth retrying: the whole transaction is re-run by the caller, never half of one.
    /// 40001 serialization failure, 40P01 deadlock, 57P01–57P03 shutdowns, class 08 connection
    /// exceptions, 53300 too many connections. Constraint violations (23xxx) and syntax errors (42xxx) are not.
    /// </summary>
    public static bool IsTransientSqlState(string? sqlState) => sqlState switch
    {
        null => false,
        "40001" or "40P01" or "57P01" or "57P02" or "57P03" or "53300" => true,
        _ => sqlState.StartsWith("08", StringComparison.Ordinal),
    };

    /// <summary>Classifies an exception from StackExchange.Redis.</summary>
    public static bool IsTransientRedis(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException => false,
        _ => IsTransientCommon(exception),
    };

    /// <summary>Classifies an exception thrown by an HTTP call.</summary>
    public static bool IsTransientHttpException(Exception exception) => exception switch
    {
        HttpRequestException => true,
        _ => IsTransientCommon(exception),
    };

    /// <summary>Classifies an HTTP response.</summary>
    public static bool IsTransientHttpResult(object? result) => result is HttpResponseMessage response && IsTransientStatus(response.StatusCode);

    /// <summary>5xx, 408 and 429 are transient; other statuses are answers.</summary>
    public static bool IsTransientStatus(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    /// <summary>The delay a 429 or 503 asks for, when it says.</summary>
    public static TimeSpan? RetryAfter(object? result)
    {
        if (result is not HttpResponseMessage { StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable } response
            || response.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        if (retryAfter.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        // An absolute date needs a clock; callers with a TimeProvider use RetryAfter(result, timeProvider).
        return null;
    }

    /// <summary>The delay a 429 or 503 asks for, resolving absolute dates with <paramref name="timeProvider"/>.</summary>
    public static TimeSpan? RetryAfter(object? result, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (RetryAfter(result) is { } delta)
        {
            return delta;
        }

        if (result is HttpResponseMessage { Headers.RetryAfter.Date: { } date })
        {
            var wait = date - timeProvider.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static bool IsTransientRabbitMq(Exception exception) =>
        exception is RabbitMQ.Client.Exceptions.BrokerUnreachableException
            or RabbitMQ.Client.Exceptions.AlreadyClosedException
            or RabbitMQ.Client.Exceptions.OperationInterruptedException
            or RabbitMQ.Client.Exceptions.PublishException { IsReturn: false }
        || exception.GetType().Name is "RabbitMqConnectionException" or "MessageNotConfirmedException" or "MessageReturnedException"
        || IsTransientCommon(exception);

    private static bool IsTransientCommon(Exception exception) => exception switch
    {
        TimeoutRejectedException or TimeoutException or SocketException or IOException => true,
        BrokenCircuitException => false,
        _ => exception.InnerException is { } inner && IsTransientCommon(inner),
    };
}
