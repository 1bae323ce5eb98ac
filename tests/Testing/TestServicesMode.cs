namespace Messaging.Testing;

/// <summary>Where the tests' PostgreSQL, RabbitMQ and Redis come from (<see cref="TestServices"/> chooses).</summary>
public enum TestServicesMode
{
    /// <summary>The machine's services: what <c>scripts/services up</c> started, or the <c>MESSAGING_TEST_*</c> endpoints.</summary>
    Machine,

    /// <summary>Containers of their own, started once per test process with Testcontainers on the Docker engine that answered.</summary>
    Containers,
}
