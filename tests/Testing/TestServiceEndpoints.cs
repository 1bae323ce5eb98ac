namespace Messaging.Testing;

/// <summary>Where the tests reach their services; <see cref="ServicesFixture"/> isolates each fixture inside them.</summary>
/// <param name="AdminPostgres">A connection string of a role that may create databases.</param>
/// <param name="RabbitManagement">The RabbitMQ management API, with its user and password in the user info.</param>
/// <param name="RabbitAmqpHost">The AMQP <c>host:port</c> (user guest).</param>
/// <param name="Redis">The Redis connection string.</param>
public sealed record TestServiceEndpoints(string AdminPostgres, Uri RabbitManagement, string RabbitAmqpHost, string Redis)
{
    /// <summary>The services <c>scripts/services up</c> starts, unless <c>MESSAGING_TEST_*</c> names others.</summary>
    public static TestServiceEndpoints FromEnvironment() => new(
        Environment.GetEnvironmentVariable(TestServices.PostgresVariable)
            ?? "Host=127.0.0.1;Port=5432;Database=messaging;Username=messaging;Password=messaging",
        new Uri(Environment.GetEnvironmentVariable(TestServices.RabbitManagementVariable) ?? "http://guest:guest@127.0.0.1:15672/"),
        Environment.GetEnvironmentVariable(TestServices.RabbitHostVariable) ?? "127.0.0.1:5672",
        Environment.GetEnvironmentVariable(TestServices.RedisVariable) ?? "127.0.0.1:6379");
}
