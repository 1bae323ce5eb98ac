using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Messaging.Store.Telemetry;

/// <summary>Registers <see cref="CommandMetrics"/>.</summary>
public static class CommandMetricsServiceCollectionExtensions
{
    /// <summary>Adds <see cref="CommandMetrics"/> (and the meter factory it needs). Calling it more than once is harmless.</summary>
    public static IServiceCollection AddCommandMetrics(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<CommandMetrics>();
        return services;
    }
}
