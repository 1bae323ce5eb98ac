using Messaging.Resilience.Classification;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;

namespace Messaging.Resilience.Pipelines;

/// <summary>
/// Pipelines for instances of a dependency that are only known at run time, such as each endpoint of an
/// external provider: every instance gets its own pipeline and circuit breaker, selected by key from
/// Polly's registry, while sharing the dependency's settings and retry budget.
/// </summary>
public static class DependencyPipelineRegistryExtensions
{
    /// <summary>
    /// Returns the pipeline named <paramref name="name"/>, building it on first use with the strategies of
    /// <see cref="DependencyPipelineBuilderExtensions.AddDependencyStrategies{TResult}"/>. Its breaker (and
    /// its metrics and log events) carry <paramref name="name"/>, for example <c>payments@127.0.0.1:5091</c>;
    /// its settings are those of <paramref name="dependency"/> (<c>Resilience:Dependencies:{dependency}</c>,
    /// registered with <see cref="DependencyPipelineServiceCollectionExtensions.AddDependencyOptions"/>), it
    /// draws on the dependency's retry budget, and it is rebuilt when the dependency's settings change.
    /// </summary>
    /// <param name="registry">The registry (<c>ResiliencePipelineRegistry&lt;string&gt;</c> from the container).</param>
    /// <param name="services">The container, for options, budgets, breakers and metrics.</param>
    /// <param name="name">The pipeline and breaker name of this instance.</param>
    /// <param name="dependency">The dependency whose settings and budget the instance shares.</param>
    /// <param name="classifier">What counts as transient.</param>
    public static ResiliencePipeline<TResult> GetOrAddDependencyPipeline<TResult>(
        this ResiliencePipelineRegistry<string> registry, IServiceProvider services, string name, string dependency, TransientClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(dependency);
        ArgumentNullException.ThrowIfNull(classifier);

        // The fast path of every call: no closure, no allocation.
        if (registry.TryGetPipeline<TResult>(name, out var existing))
        {
            return existing;
        }

        return registry.GetOrAddPipeline<TResult>(name, (builder, context) =>
        {
            context.EnableReloads(services.GetRequiredService<IOptionsMonitor<DependencyPipelineOptions>>(), dependency);
            var strategies = DependencyPipelineServiceCollectionExtensions.CreateContext(services, dependency, classifier) with { Name = name };
            builder.AddDependencyStrategies(strategies);
        });
    }
}
