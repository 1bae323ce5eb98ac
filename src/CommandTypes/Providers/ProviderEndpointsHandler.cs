using Messaging.Resilience.Classification;
using Messaging.Resilience.Pipelines;
using Polly;
using Polly.Registry;

namespace Messaging.CommandTypes.Providers;

/// <summary>
/// Sends a provider's requests through its failover pipeline (<see cref="ProviderFailover"/>) and each
/// attempt through the pipeline of the endpoint it goes to (<c>payments@127.0.0.1:5091</c>, with our
/// dependency strategies, so every endpoint has its own breaker in the breaker registry). The request is
/// sent unchanged apart from its address, so every endpoint receives the same <c>Idempotency-Key</c>.
/// </summary>
/// <remarks>
/// Execution uses the <see cref="ResilienceContext"/> the caller attached to the request
/// (<c>request.SetResilienceContext</c>), so the command's deadline bounds every timeout; without one a
/// pooled context is used. The typed client's base address is the first endpoint; attempts to other
/// endpoints replace that prefix of the request URI with theirs.
/// </remarks>
internal sealed class ProviderEndpointsHandler(ProviderEndpoints endpoints, ResiliencePipelineRegistry<string> registry, IServiceProvider services)
    : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var relativeUri = (request.RequestUri is { } uri ? endpoints.RelativeUri(uri) : null)
            ?? throw new InvalidOperationException($"The request is not addressed to a configured {endpoints.Provider} endpoint.");
        var failover = ProviderFailover.GetOrAddPipeline(registry, services, endpoints);

        // The caller's context carries the cancellation token it passed to HttpClient, and the deadline.
        var context = request.GetResilienceContext();
        var created = context is null;
        context ??= ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(ProviderFailover.EndpointKey, 0);
        try
        {
            return await failover.ExecuteAsync(
                static (attemptContext, state) => state.Handler.SendToEndpointAsync(attemptContext, state.Request, state.RelativeUri),
                context,
                (Handler: this, Request: request, RelativeUri: relativeUri)).ConfigureAwait(false);
        }
        finally
        {
            if (created)
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }
    }

    private async ValueTask<HttpResponseMessage> SendToEndpointAsync(ResilienceContext context, HttpRequestMessage request, string relativeUri)
    {
        var endpoint = endpoints.All[context.Properties.GetValue(ProviderFailover.EndpointKey, 0)];
        request.RequestUri = new Uri(endpoint.BaseAddress, relativeUri);
        var pipeline = registry.GetOrAddDependencyPipeline<HttpResponseMessage>(services, endpoint.PipelineName, endpoints.Provider, TransientFailures.Http);
        return await pipeline.ExecuteAsync(
            static (attemptContext, state) => new ValueTask<HttpResponseMessage>(state.Handler.SendCoreAsync(state.Request, attemptContext.CancellationToken)),
            context,
            (Handler: this, Request: request)).ConfigureAwait(false);
    }

    private Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);
}
