using Messaging.Resilience.Classification;
using Messaging.Resilience.Pipelines;
using Microsoft.Extensions.Hosting;
using Polly.Registry;

namespace Messaging.CommandTypes.Providers;

/// <summary>
/// Builds every provider endpoint's pipeline at start, so that each endpoint's breaker is known (closed)
/// before the first call. Breaker-aware consumption pauses an endpoint only when all of its provider's
/// breakers are open; a failover endpoint never called yet must count as one that is not.
/// </summary>
internal sealed class ProviderBreakersStartup(
    ResiliencePipelineRegistry<string> registry, IEnumerable<CommandProviderRegistration> providers, IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The declared providers, not every name a type uses: a type the workers do not execute (no handler) may name
        // a provider that nothing declares.
        foreach (var provider in providers)
        {
            var endpoints = services.GetRequiredKeyedService<ProviderEndpoints>(provider.Name);
            foreach (var endpoint in endpoints.All)
            {
                registry.GetOrAddDependencyPipeline<HttpResponseMessage>(services, endpoint.PipelineName, endpoints.Provider, TransientFailures.Http);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
