using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;
using Testcontainers.Redis;

namespace Messaging.Testing;

/// <summary>
/// PostgreSQL, RabbitMQ (with its management API) and Redis in containers, started once per test process on the Docker
/// engine that answered; Testcontainers' resource reaper removes them when the process ends. The same images and
/// settings as docker-compose.yml, so a test sees the same services either way.
/// </summary>
internal static class ServiceContainers
{
    public static async Task<TestServiceEndpoints> StartAsync()
    {
        try
        {
            return await StartContainersAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Building a container already asks the engine (DockerUnavailableException): every failure gets the fix.
            throw new InvalidOperationException(
                $"Starting the test services in containers failed ({TestServices.ModeVariable}=containers, or a Docker engine answered). "
                + $"Use the machine's services instead: {TestServices.ModeVariable}=machine after `scripts/services up`.", ex);
        }
    }

    private static async Task<TestServiceEndpoints> StartContainersAsync()
    {
        var postgres = new PostgreSqlBuilder("postgres:16")
            .WithDatabase("messaging").WithUsername("messaging").WithPassword("messaging")
            .WithCommand("-c", "max_connections=300") // as scripts/services configures the machine's
            .Build();
        var rabbitMq = new RabbitMqBuilder("rabbitmq:3.13-management")
            .WithUsername("guest").WithPassword("guest")
            .WithPortBinding(15672, assignRandomHostPort: true)
            .Build();
        var redis = new RedisBuilder("redis:7").Build();
        await Task.WhenAll(postgres.StartAsync(), rabbitMq.StartAsync(), redis.StartAsync());

        var management = new UriBuilder("http", rabbitMq.Hostname, rabbitMq.GetMappedPublicPort(15672)) { UserName = "guest", Password = "guest" }.Uri;
        return new TestServiceEndpoints(postgres.GetConnectionString(), management, $"{rabbitMq.Hostname}:{rabbitMq.GetMappedPublicPort(5672)}", redis.GetConnectionString());
    }
}
