namespace Messaging.Testing;

/// <summary>
/// Chooses, once per test process, where the tests' services come from. <c>MESSAGING_TEST_SERVICES</c> forces it
/// (<c>machine</c> or <c>containers</c>); unset (or <c>auto</c>) it is containers when a Docker engine answers and no
/// <c>MESSAGING_TEST_*</c> endpoint is given, and the machine's services otherwise. Either way a service that cannot be
/// reached fails the test with the command that fixes it; nothing is skipped.
/// </summary>
public static class TestServices
{
    /// <summary>The variable that forces the choice: <c>machine</c>, <c>containers</c> or <c>auto</c>.</summary>
    public const string ModeVariable = "MESSAGING_TEST_SERVICES";

    /// <summary>An administrative PostgreSQL connection string (may create databases).</summary>
    public const string PostgresVariable = "MESSAGING_TEST_POSTGRES";

    /// <summary>The RabbitMQ management API URL, with user and password.</summary>
    public const string RabbitManagementVariable = "MESSAGING_TEST_RABBITMQ_MANAGEMENT";

    /// <summary>The RabbitMQ AMQP <c>host:port</c>.</summary>
    public const string RabbitHostVariable = "MESSAGING_TEST_RABBITMQ_HOST";

    /// <summary>The Redis connection string.</summary>
    public const string RedisVariable = "MESSAGING_TEST_REDIS";

    private static readonly string[] EndpointVariables = [PostgresVariable, RabbitManagementVariable, RabbitHostVariable, RedisVariable];

    private static readonly Lazy<TestServicesMode> CurrentMode = new(() => Select(
        Environment.GetEnvironmentVariable(ModeVariable),
        EndpointVariables.Any(name => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name))),
        () => DockerEngineProbe.Answers(TimeSpan.FromSeconds(2))));

    private static readonly Lazy<Task<TestServiceEndpoints>> CurrentEndpoints = new(ResolveEndpointsAsync);

    /// <summary>This process's choice (decided on first use).</summary>
    public static TestServicesMode Mode => CurrentMode.Value;

    /// <summary>The endpoints of this process's services; in containers mode the first call starts them.</summary>
    public static Task<TestServiceEndpoints> GetEndpointsAsync() => CurrentEndpoints.Value;

    /// <summary>The choice, from the forcing variable's value, whether endpoints were given, and the Docker probe.</summary>
    /// <param name="forced">The value of <c>MESSAGING_TEST_SERVICES</c>, or null.</param>
    /// <param name="endpointsGiven">Whether a <c>MESSAGING_TEST_*</c> endpoint variable is set (they name machine services).</param>
    /// <param name="dockerAnswers">The probe of a Docker engine; called only when the choice depends on it.</param>
    /// <returns>The mode the tests use.</returns>
    /// <exception cref="InvalidOperationException">The forcing variable has a value other than machine, containers or auto.</exception>
    public static TestServicesMode Select(string? forced, bool endpointsGiven, Func<bool> dockerAnswers)
    {
        ArgumentNullException.ThrowIfNull(dockerAnswers);
        switch (forced?.Trim().ToLowerInvariant())
        {
            case "machine":
                return TestServicesMode.Machine;
            case "containers":
                return TestServicesMode.Containers;
            case null or "" or "auto":
                return !endpointsGiven && dockerAnswers() ? TestServicesMode.Containers : TestServicesMode.Machine;
            default:
                throw new InvalidOperationException(
                    $"{ModeVariable}={forced} is not understood: use machine (the services of scripts/services up), containers (Testcontainers on a Docker engine) or auto.");
        }
    }

    private static async Task<TestServiceEndpoints> ResolveEndpointsAsync()
    {
        if (Mode == TestServicesMode.Machine)
        {
            return TestServiceEndpoints.FromEnvironment();
        }

        var endpoints = await ServiceContainers.StartAsync();

        // Whatever else reads the endpoint variables (tests written against them, the processes the harness starts) sees the containers too.
        Environment.SetEnvironmentVariable(PostgresVariable, endpoints.AdminPostgres);
        Environment.SetEnvironmentVariable(RabbitManagementVariable, endpoints.RabbitManagement.ToString());
        Environment.SetEnvironmentVariable(RabbitHostVariable, endpoints.RabbitAmqpHost);
        Environment.SetEnvironmentVariable(RedisVariable, endpoints.Redis);
        return endpoints;
    }
}
