using System.Globalization;
using System.Threading.RateLimiting;
using Messaging.Resilience.Classification;
using Messaging.Resilience.Pipelines;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;

namespace Messaging.Workers.Callbacks;

/// <summary>
/// Sends each completion callback through the pipelines of its origin (host and port), taken from Polly's registry by
/// name: outside, a concurrency limiter without a queue (<c>callbacks.limit@host:port</c>,
/// <see cref="CallbackDeliveryOptions.MaxConcurrencyPerOrigin"/>); inside, the <c>callbacks</c> dependency strategies
/// (attempt timeout, retries, and a circuit breaker named <c>callbacks@host:port</c> that counts slow calls), so each origin
/// breaks, and is limited, on its own.
/// </summary>
/// <remarks>
/// Refusals (<see cref="Polly.RateLimiting.RateLimiterRejectedException"/>, <see cref="Polly.CircuitBreaker.BrokenCircuitException"/>) leave
/// here unchanged; the handler defers the delivery on them. The pipelines live as long as the registry, one pair per origin
/// the tenants' allow-lists admit.
/// </remarks>
internal sealed class CallbackOriginHandler(ResiliencePipelineRegistry<string> registry, IOptions<CallbackDeliveryOptions> options, IServiceProvider services)
    : DelegatingHandler
{
    /// <summary>The dependency whose settings every origin's pipeline shares (<c>Resilience:Dependencies:callbacks</c>).</summary>
    public const string Dependency = "callbacks";

    private readonly int _permits = options.Value.MaxConcurrencyPerOrigin;

    /// <summary>The name of an origin's breaker and pipeline: <c>callbacks@host:port</c>.</summary>
    public static string PipelineName(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return string.Create(CultureInfo.InvariantCulture, $"{Dependency}@{url.Host}:{url.Port}");
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = PipelineName(request.RequestUri ?? throw new InvalidOperationException("A callback request has no address."));
        var limit = registry.GetOrAddPipeline<HttpResponseMessage>("callbacks.limit@" + name[(Dependency.Length + 1)..], builder =>
            builder.AddConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = _permits, QueueLimit = 0 }));
        var origin = registry.GetOrAddDependencyPipeline<HttpResponseMessage>(services, name, Dependency, TransientFailures.Http);

        var context = request.GetResilienceContext();
        var created = context is null;
        context ??= ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            return await limit.ExecuteAsync(
                static (limitContext, state) => state.Origin.ExecuteAsync(
                    static (attemptContext, inner) => new ValueTask<HttpResponseMessage>(inner.Handler.SendCoreAsync(inner.Request, attemptContext.CancellationToken)),
                    limitContext, (state.Handler, state.Request)),
                context,
                (Handler: this, Request: request, Origin: origin)).ConfigureAwait(false);
        }
        finally
        {
            if (created)
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }
    }

    private Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);
}
