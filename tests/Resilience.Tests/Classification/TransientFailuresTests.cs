using System.Net;
using Messaging.Resilience.Classification;
using StackExchange.Redis;

namespace Messaging.Resilience.Tests.Classification;

public sealed class TransientFailuresTests
{
    [Theory]
    [InlineData("40001", true)]
    [InlineData("40P01", true)]
    [InlineData("57P01", true)]
    [InlineData("57P03", true)]
    [InlineData("08006", true)]
    [InlineData("53300", true)]
    [InlineData("23505", false)]
    [InlineData("42601", false)]
    [InlineData("22P02", false)]
    public void Postgres_SqlStates(string sqlState, bool transient) =>
        Assert.Equal(transient, TransientFailures.IsTransientSqlState(sqlState));

    [Fact]
    public void Postgres_NoSuitableHostOfAMultiHostConnectionString_IsTransient() =>
        // What Npgsql throws during a failover, when no host of Target Session Attributes=primary answers yet.
        Assert.True(TransientFailures.IsTransientPostgres(new Npgsql.NpgsqlException("No suitable host was found.")));

    [Fact]
    public async Task Postgres_EveryHostOfAMultiHostConnectionStringRefusing_IsTransient()
    {
        // Both ports are closed on loopback: what the gateway sees while a failover has no primary up yet.
        await using var dataSource = new Npgsql.NpgsqlDataSourceBuilder(
            "Host=127.0.0.1:1,127.0.0.1:2;Username=u;Password=p;Target Session Attributes=primary;Timeout=2").Build();
        var refused = await Assert.ThrowsAnyAsync<Npgsql.NpgsqlException>(async () => await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken));

        Assert.False(refused.IsTransient); // Npgsql's own verdict on the wrapper: the reason for the classification
        Assert.True(TransientFailures.IsTransientPostgres(refused));
    }

    [Fact]
    public void Postgres_EveryHostFailing_WithOneRefusal_IsNotTransient()
    {
        var login = new Npgsql.PostgresException("password authentication failed", "FATAL", "FATAL", "28P01");
        var failed = new Npgsql.NpgsqlException("Unable to connect to a suitable host. Check inner exception for more details.",
            new AggregateException(new Npgsql.NpgsqlException("Failed to connect", new System.Net.Sockets.SocketException(111)), login));

        Assert.False(TransientFailures.IsTransientPostgres(failed));
    }

    [Fact]
    public void Postgres_OtherNpgsqlErrorsWithoutACause_AreNotTransient() =>
        Assert.False(TransientFailures.IsTransientPostgres(new Npgsql.NpgsqlException("Received unexpected backend message")));

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError, true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.RequestTimeout, true)]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.BadRequest, false)]
    [InlineData(HttpStatusCode.Unauthorized, false)]
    [InlineData(HttpStatusCode.PaymentRequired, false)]
    [InlineData(HttpStatusCode.Conflict, false)]
    [InlineData(HttpStatusCode.Created, false)]
    public void Http_Statuses(HttpStatusCode status, bool transient) =>
        Assert.Equal(transient, TransientFailures.IsTransientStatus(status));

    [Fact]
    public void Http_ConnectionFailuresAreTransient() =>
        Assert.True(TransientFailures.Http.IsTransient(new HttpRequestException("reset"), null));

    [Fact]
#pragma warning disable CS0618 // The simplest constructors are enough to classify.
    public void Redis_ConnectionAndTimeoutAreTransient_ServerErrorsAreNot()
    {
        Assert.True(TransientFailures.IsTransientRedis(new RedisConnectionException(ConnectionFailureType.SocketFailure, "down")));
        Assert.True(TransientFailures.IsTransientRedis(new RedisTimeoutException("slow", CommandStatus.Sent)));
        Assert.False(TransientFailures.IsTransientRedis(new RedisServerException("WRONGTYPE Operation against a key holding the wrong kind of value")));
    }
#pragma warning restore CS0618

    [Fact]
    public void RetryAfter_ReadsDeltaAndDate()
    {
        using var delta = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        delta.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(7));
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var date = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        date.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(time.GetUtcNow().AddSeconds(30));
        using var ok = new HttpResponseMessage(HttpStatusCode.OK);

        Assert.Equal(TimeSpan.FromSeconds(7), TransientFailures.RetryAfter(delta));
        Assert.Equal(TimeSpan.FromSeconds(30), TransientFailures.RetryAfter(date, time));
        Assert.Null(TransientFailures.RetryAfter(ok));
    }
}
