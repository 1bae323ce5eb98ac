using Messaging.ServiceDefaults.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>Health check registrations for the default endpoints.</summary>
public static class HealthCheckExtensions
{
    /// <summary>The liveness check's name.</summary>
    public const string SelfCheckName = "self";

    /// <summary>The PostgreSQL check's name.</summary>
    public const string PostgresCheckName = "postgres";

    /// <summary>The Redis check's name.</summary>
    public const string RedisCheckName = "redis";

    /// <summary>How long the PostgreSQL check may take before it counts as failed.</summary>
    public static readonly TimeSpan PostgresTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long the Redis check may take before it counts as failed.</summary>
    public static readonly TimeSpan RedisTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Adds the <c>self</c> liveness check and, when <c>ConnectionStrings:Postgres</c> or
    /// <c>ConnectionStrings:Redis</c> is configured, the PostgreSQL and Redis readiness checks.
    /// </summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<HealthCheckServiceOptions>(options => AddOnce(options, new HealthCheckRegistration(
            SelfCheckName,
            _ => new SelfHealthCheck(),
            HealthStatus.Unhealthy,
            [HealthCheckTags.Live, HealthCheckTags.PublicDescription])));
        builder.Services.AddHealthChecks();

        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Postgres")))
        {
            builder.AddPostgresHealthCheck();
        }

        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Redis")))
        {
            builder.AddRedisHealthCheck();
        }

        return builder;
    }

    /// <summary>
    /// Adds the <c>postgres</c> readiness check: <c>SELECT 1</c> through the host's
    /// <see cref="NpgsqlDataSource"/> (one is registered from <c>ConnectionStrings:Postgres</c> if the host
    /// has none), failing after <see cref="PostgresTimeout"/>. Calling it more than once is harmless.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="failureStatus">The status reported when PostgreSQL does not answer.</param>
    public static TBuilder AddPostgresHealthCheck<TBuilder>(this TBuilder builder, HealthStatus failureStatus = HealthStatus.Unhealthy)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var connectionString = RequiredConnectionString(builder, "Postgres", "PostgreSQL");

        // AddMessagingPostgres registers the data source the host really uses; this one is only the
        // fallback for hosts that check PostgreSQL without using it (resolution takes the last registration).
        // A host list asks for the primary unless it says otherwise, as the store's PostgresDataSources does
        // (ServiceDefaults references no project): Npgsql's default, any, would let the check pass on a standby alone.
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        if (settings.Host?.Contains(',', StringComparison.Ordinal) == true && string.IsNullOrWhiteSpace(settings.TargetSessionAttributes))
        {
            settings.TargetSessionAttributes = "primary";
        }

        var effective = settings.ConnectionString;
        builder.Services.TryAddSingleton(sp =>
        {
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(effective);
            dataSourceBuilder.UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
            return dataSourceBuilder.Build();
        });
        AddReadinessCheck(builder, PostgresCheckName, sp => new PostgresHealthCheck(sp.GetRequiredService<NpgsqlDataSource>()),
            failureStatus, PostgresTimeout);
        return builder;
    }

    /// <summary>
    /// Adds the <c>redis</c> readiness check: <c>PING</c> through the host's <see cref="IConnectionMultiplexer"/>
    /// (one is registered from <c>ConnectionStrings:Redis</c> if the host has none), failing after
    /// <see cref="RedisTimeout"/>. Its failure status
    /// defaults to Degraded: without Redis every instance falls back to local rate limits and keeps serving.
    /// Calling it more than once is harmless.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="failureStatus">The status reported when Redis does not answer.</param>
    public static TBuilder AddRedisHealthCheck<TBuilder>(this TBuilder builder, HealthStatus failureStatus = HealthStatus.Degraded)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var connectionString = RequiredConnectionString(builder, "Redis", "Redis");

        // AddMessagingRedis registers the multiplexer the host really uses; this one is only the fallback for
        // hosts that check Redis without using it (resolution takes the last registration). It never blocks
        // start: a Redis that is down makes the check fail, not the host.
        builder.Services.TryAddSingleton<IConnectionMultiplexer>(_ =>
        {
            var options = ConfigurationOptions.Parse(connectionString);
            options.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(options);
        });
        AddReadinessCheck(builder, RedisCheckName, sp => ActivatorUtilities.CreateInstance<RedisHealthCheck>(sp), failureStatus, RedisTimeout);
        return builder;
    }

    private static string RequiredConnectionString(IHostApplicationBuilder builder, string name, string dependency)
    {
        var connectionString = builder.Configuration.GetConnectionString(name);
        return string.IsNullOrWhiteSpace(connectionString)
            ? throw new InvalidOperationException($"ConnectionStrings:{name} is required for the {dependency} health check.")
            : connectionString;
    }

    private static void AddReadinessCheck(IHostApplicationBuilder builder, string name, Func<IServiceProvider, IHealthCheck> create,
        HealthStatus failureStatus, TimeSpan timeout)
    {
        builder.Services.AddHealthChecks();
        builder.Services.Configure<HealthCheckServiceOptions>(options => AddOnce(options, new HealthCheckRegistration(
            name, create, failureStatus, [HealthCheckTags.Ready, HealthCheckTags.PublicDescription], timeout)));
    }

    private static void AddOnce(HealthCheckServiceOptions options, HealthCheckRegistration registration)
    {
        if (!options.Registrations.Any(existing => string.Equals(existing.Name, registration.Name, StringComparison.OrdinalIgnoreCase)))
        {
            options.Registrations.Add(registration);
        }
    }
}
