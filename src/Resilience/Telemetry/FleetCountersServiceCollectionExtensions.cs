using Messaging.Resilience.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Registry;
using StackExchange.Redis;

namespace Messaging.Resilience.Telemetry;

/// <summary>Registers <see cref="FleetCounters"/>.</summary>
public static class FleetCountersServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="FleetCounters"/> (a hosted service; it publishes to the Redis of <c>AddMessagingRedis()</c>
    /// when the host has one). Calling it more than once is harmless.
    /// </summary>
    public static IServiceCollection AddFleetCounters(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        if (services.Any(d => d.ServiceType == typeof(FleetCounters)))
        {
            return services;
        }

        services.AddOptions<RedisOptions>();
        services.AddSingleton(sp => new FleetCounters(
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetService<IConnectionMultiplexer>(),
            sp.GetRequiredService<IOptions<RedisOptions>>(),
            sp.GetRequiredService<IHostEnvironment>(),
            sp.GetService<ResiliencePipelineProvider<string>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<FleetCounters>>()));
        services.AddHostedService(sp => sp.GetRequiredService<FleetCounters>());
        return services;
    }
}
