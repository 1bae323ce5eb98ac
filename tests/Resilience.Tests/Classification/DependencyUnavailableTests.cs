using System.Net.Sockets;
using System.Text.Json;
using Messaging.Resilience.Classification;
using Npgsql;
using Polly.CircuitBreaker;
using Polly.Timeout;
using StackExchange.Redis;

namespace Messaging.Resilience.Tests.Classification;

public sealed class DependencyUnavailableTests
{
    [Theory]
    [InlineData("08006", true)]
    [InlineData("57P01", true)]
    [InlineData("57P03", true)]
    [InlineData("53300", true)]
    [InlineData("40001", true)]
    [InlineData("23505", false)]
    [InlineData("42P01", false)]
    [InlineData("28P01", false)]
    public void Postgres_ServerErrorsAreUnavailableOnlyWithATransientSqlState(string sqlState, bool unavailable) =>
        Assert.Equal(unavailable, DependencyUnavailable.IsPostgresUnavailable(new PostgresException("message", "ERROR", "ERROR", sqlState)));

    [Fact]
    public void Postgres_ConnectionFailuresAreUnavailable_AClientErrorWithoutATransportCauseIsNot()
    {
        Assert.True(DependencyUnavailable.IsPostgresUnavailable(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.True(DependencyUnavailable.IsPostgresUnavailable(new NpgsqlException("Exception while reading from stream", new TimeoutException())));
        Assert.True(DependencyUnavailable.IsPostgresUnavailable(new SocketException((int)SocketError.ConnectionReset)));
        Assert.False(DependencyUnavailable.IsPostgresUnavailable(new NpgsqlException("No password has been provided but the backend requires one")));
    }

#pragma warning disable CS0618 // The simplest constructors are enough to classify.
    [Fact]
    public void Redis_ConnectionFailuresAndTimeoutsAreUnavailable_ServerErrorsAreNot()
    {
        Assert.True(DependencyUnavailable.IsRedisUnavailable(new RedisConnectionException(ConnectionFailureType.SocketFailure, "down")));
        Assert.True(DependencyUnavailable.IsRedisUnavailable(new RedisTimeoutException("slow", CommandStatus.Sent)));
        Assert.True(DependencyUnavailable.IsRedisUnavailable(new SocketException((int)SocketError.ConnectionRefused)));
        Assert.False(DependencyUnavailable.IsRedisUnavailable(new RedisServerException("WRONGTYPE Operation against a key holding the wrong kind of value")));
    }

    [Fact]
    public void Failure_IsAnOutageOrAnErrorTheDependencyAnswered_NotAnUnrelatedException()
    {
        Assert.True(DependencyUnavailable.IsPostgresFailure(new PostgresException("message", "ERROR", "ERROR", "42P01")));
        Assert.True(DependencyUnavailable.IsPostgresFailure(new BrokenCircuitException()));
        Assert.False(DependencyUnavailable.IsPostgresFailure(new InvalidOperationException("a bug")));
        Assert.False(DependencyUnavailable.IsPostgresFailure(new OperationCanceledException()));
        Assert.True(DependencyUnavailable.IsRedisFailure(new RedisServerException("OOM command not allowed")));
        Assert.True(DependencyUnavailable.IsRedisFailure(new RedisTimeoutException("slow", CommandStatus.Sent)));
        Assert.False(DependencyUnavailable.IsRedisFailure(new JsonException("unreadable")));
        Assert.False(DependencyUnavailable.IsRedisFailure(new OperationCanceledException()));
    }
#pragma warning restore CS0618

    public static TheoryData<Exception> OutagesOfEither => new()
    {
        new BrokenCircuitException(),
        new IsolatedCircuitException(),
        new TimeoutRejectedException(),
        new TimeoutException(),
    };

    [Theory]
    [MemberData(nameof(OutagesOfEither))]
    public void AnOpenBreakerOrATimeout_IsUnavailableForEitherDependency(Exception exception)
    {
        Assert.True(DependencyUnavailable.IsPostgresUnavailable(exception));
        Assert.True(DependencyUnavailable.IsRedisUnavailable(exception));
    }

    public static TheoryData<Exception> NotOutages => new()
    {
        new InvalidOperationException("a bug"),
        new JsonException("an unreadable value"),
        new OperationCanceledException(),
        new OperationCanceledException("canceled while the connection broke", new TimeoutException()),
    };

    [Theory]
    [MemberData(nameof(NotOutages))]
    public void UnrelatedFailuresAndCancellations_AreNotUnavailable(Exception exception)
    {
        Assert.False(DependencyUnavailable.IsPostgresUnavailable(exception));
        Assert.False(DependencyUnavailable.IsRedisUnavailable(exception));
    }
}
