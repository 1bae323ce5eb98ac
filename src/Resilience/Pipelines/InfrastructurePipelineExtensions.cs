using Messaging.Resilience.Classification;
using Microsoft.Extensions.Hosting;

namespace Messaging.Resilience.Pipelines;

/// <summary>Registers the pipelines of the three infrastructure dependencies with defaults that suit each.</summary>
public static class InfrastructurePipelineExtensions
{
    /// <summary>
    /// Adds the <c>postgres</c>, <c>redis</c> and <c>rabbitmq</c> pipelines (overridable under
    /// <c>Resilience:Dependencies:&lt;name&gt;</c>) and shares breaker states through Redis.
    /// </summary>
    public static IHostApplicationBuilder AddInfrastructurePipelines(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var configuration = builder.Configuration;

        // PostgreSQL: a retry re-runs the caller's whole transaction; short attempts, a few retries.
        services.AddDependencyPipeline(configuration, DependencyNames.Postgres, TransientFailures.Postgres, o =>
        {
            o.AttemptTimeout = TimeSpan.FromSeconds(5);
            o.TotalTimeout = TimeSpan.FromSeconds(15);
            o.Retry.MaxRetryAttempts = 2;
            o.Retry.BaseDelay = TimeSpan.FromMilliseconds(100);
            o.Retry.MaxDelay = TimeSpan.FromSeconds(1);
            o.Breaker.BreakDuration = TimeSpan.FromSeconds(5);
            o.Breaker.SlowCallThreshold = TimeSpan.FromSeconds(3);
        });

        // Redis sits on hot paths (rate limits): fail fast and fall back rather than wait.
        services.AddDependencyPipeline(configuration, DependencyNames.Redis, TransientFailures.Redis, o =>
        {
            o.AttemptTimeout = TimeSpan.FromMilliseconds(250);
            o.TotalTimeout = TimeSpan.FromMilliseconds(500);
            o.Retry.MaxRetryAttempts = 0;
            o.Breaker.MinimumThroughput = 5;
            o.Breaker.BreakDuration = TimeSpan.FromSeconds(5);
            o.Breaker.SlowCallThreshold = TimeSpan.FromMilliseconds(200);
        });

        // RabbitMQ publishes: the relay keeps unconfirmed rows and tries them again later, so no
        // immediate retries here; the breaker stops hammering a broker that is down.
        services.AddDependencyPipeline(configuration, DependencyNames.RabbitMq, TransientFailures.RabbitMq, o =>
        {
            o.AttemptTimeout = TimeSpan.FromSeconds(10);
            o.TotalTimeout = TimeSpan.FromSeconds(10);
            o.Retry.MaxRetryAttempts = 0;
            o.Breaker.MinimumThroughput = 5;
            o.Breaker.BreakDuration = TimeSpan.FromSeconds(5);
            o.Breaker.SlowCallThreshold = null;
        });

        services.AddSharedBreakerStates();
        return builder;
    }
}
