namespace Messaging.Resilience;

/// <summary>The names of the dependency pipelines (and their breakers) every host shares.</summary>
public static class DependencyNames
{
    /// <summary>PostgreSQL: commands, outbox, inbox, clients.</summary>
    public const string Postgres = "postgres";

    /// <summary>Redis: rate limits and shared breaker states.</summary>
    public const string Redis = "redis";

    /// <summary>RabbitMQ publishes (the outbox relay).</summary>
    public const string RabbitMq = "rabbitmq";
}
