using Messaging.Resilience.Classification;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Signing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polly;

namespace Messaging.Resilience.Pipelines;

/// <summary>Registers named dependency pipelines in Polly's registry (Microsoft.Extensions.Resilience).</summary>
public static class DependencyPipelineServiceCollectionExtensions
{
    /// <summary>
    /// Registers the shared pieces (breaker registry, budgets, metrics) once. Called by the other methods.
    /// </summary>
    public static IServiceCollection AddResilienceCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddResiliencePipelineRegistry<string>();
        services.TryAddSingleton<ResilienceMetrics>();
        services.TryAddSingleton<BreakerRegistry>();
        services.TryAddSingleton<BreakerAwareEndpoints>();
        services.TryAddSingleton<RetryBudgets>();
        return services;
    }

    /// <summary>
    /// Shares this process's breakers and breaker-aware endpoints through Redis (<see cref="SharedBreakerStates"/>,
    /// <see cref="SharedEndpointStates"/>), so that any process's monitoring API sees (and for breakers,
    /// controls) the whole fleet. Requires <c>AddMessagingRedis()</c>.
    /// </summary>
    public static IServiceCollection AddSharedBreakerStates(this IServiceCollection services)
    {
        services.AddResilienceCore();
        if (services.Any(d => d.ServiceType == typeof(SharedBreakerStates)))
        {
            return services;
        }

        services.AddMessageSigning(); // breaker-control messages are signed
        services.AddSingleton<SharedBreakerStates>();
        services.AddHostedService(sp => sp.GetRequiredService<SharedBreakerStates>());
        services.AddSingleton<SharedEndpointStates>();
        services.AddHostedService(sp => sp.GetRequiredService<SharedEndpointStates>());
        return services;
    }

    /// <summary>
    /// Binds <see cref="DependencyPipelineOptions"/> named <paramref name="name"/> from
    /// <c>Resilience:Dependencies:{name}</c> (after <paramref name="defaults"/>), validated on start.
    /// </summary>
    public static IServiceCollection AddDependencyOptions(
        this IServiceCollection services, IConfiguration configuration, string name, Action<DependencyPipelineOptions>? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddResilienceCore();
        var builder = services.AddOptions<DependencyPipelineOptions>(name);
        if (defaults is not null)
        {
            builder.Configure(defaults);
        }

        builder.Bind(configuration.GetSection($"{DependencyPipelineOptions.SectionName}:{name}"))
            .ValidateDataAnnotations()
            .Validate(o => o.Retry.MaxDelay >= o.Retry.BaseDelay, $"{DependencyPipelineOptions.SectionName}:{name}:Retry:MaxDelay must not be below BaseDelay.")
            .Validate(o => o.TotalTimeout >= o.AttemptTimeout, $"{DependencyPipelineOptions.SectionName}:{name}:TotalTimeout must not be below AttemptTimeout.")
            .ValidateOnStart();
        return services;
    }

    /// <summary>
    /// Registers an untyped pipeline named <paramref name="name"/> for a dependency (PostgreSQL, Redis,
    /// RabbitMQ publishes). Resolve it with <c>ResiliencePipelineProvider&lt;string&gt;.GetPipeline(name)</c>.
    /// It is rebuilt when its configuration changes.
    /// </summary>
    public static IServiceCollection AddDependencyPipeline(
        this IServiceCollection services, IConfiguration configuration, string name, TransientClassifier classifier,
        Action<DependencyPipelineOptions>? defaults = null)
    {
        services.AddDependencyOptions(configuration, name, defaults);
        services.AddResiliencePipeline(name, (builder, context) =>
        {
            context.EnableReloads<DependencyPipelineOptions>(name);
            builder.AddDependencyStrategies(CreateContext(context.ServiceProvider, name, classifier));
        });
        return services;
    }

    /// <summary>Registers a typed pipeline (for example over <c>HttpResponseMessage</c>).</summary>
    public static IServiceCollection AddDependencyPipeline<TResult>(
        this IServiceCollection services, IConfiguration configuration, string name, TransientClassifier classifier,
        Action<DependencyPipelineOptions>? defaults = null)
    {
        services.AddDependencyOptions(configuration, name, defaults);
        services.AddResiliencePipeline<string, TResult>(name, (builder, context) =>
        {
            context.EnableReloads<DependencyPipelineOptions>(name);
            builder.AddDependencyStrategies(CreateContext(context.ServiceProvider, name, classifier));
        });
        return services;
    }

    /// <summary>Builds the context for <see cref="DependencyPipelineBuilderExtensions"/> from the container.</summary>
    public static DependencyPipelineContext CreateContext(IServiceProvider services, string name, TransientClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(services);
        return new DependencyPipelineContext(
            name,
            services.GetRequiredService<IOptionsMonitor<DependencyPipelineOptions>>().Get(name),
            classifier,
            services.GetRequiredService<RetryBudgets>().For(name),
            services.GetRequiredService<BreakerRegistry>(),
            services.GetRequiredService<ResilienceMetrics>(),
            services.GetRequiredService<TimeProvider>());
    }
}
