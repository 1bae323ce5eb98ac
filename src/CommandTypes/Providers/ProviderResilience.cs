using Messaging.Resilience.Classification;
using Messaging.Resilience.Pipelines;
using Polly.Registry;

namespace Messaging.CommandTypes.Providers;

/// <summary>
/// The resilience of the provider clients: the defaults of their dependency pipelines (each value can be
/// overridden under <c>Resilience:Dependencies:&lt;name&gt;</c> and reloads without restart), and the
/// handlers that put the pipelines on the HttpClients. See src/CommandTypes/Providers/README.md.
/// </summary>
internal static class ProviderResilience
{
    /// <summary>The pipeline (and breaker) name of a provider's token endpoint, also its token HttpClient's name.</summary>
    public static string TokenPipelineName(string provider) => provider + ".token";

    /// <summary>
    /// A token endpoint: requesting a token has no side effect, so it is retried; one fetch serves every
    /// caller, so a short break is enough to protect it.
    /// </summary>
    public static void TokenDefaults(DependencyPipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AttemptTimeout = TimeSpan.FromSeconds(5);
        options.TotalTimeout = TimeSpan.FromSeconds(10);
        options.Retry.MaxRetryAttempts = 2;
        options.Retry.BaseDelay = TimeSpan.FromMilliseconds(100);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(1);
        options.Breaker.MinimumThroughput = 5;
        options.Breaker.BreakDuration = TimeSpan.FromSeconds(10);
        options.Breaker.SlowCallThreshold = TimeSpan.FromSeconds(3);
    }

    /// <summary>
    /// Sends the client's requests to the provider's endpoints with failover, through one pipeline per
    /// endpoint (<see cref="ProviderEndpointsHandler"/>). The base address is the first endpoint, and the
    /// HttpClient's own timeout is off: the pipelines and the command's deadline govern time.
    /// </summary>
    public static IHttpClientBuilder AddProviderEndpoints(this IHttpClientBuilder client, string provider)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.ConfigureHttpClient((sp, http) =>
        {
            http.BaseAddress = sp.GetRequiredKeyedService<ProviderEndpoints>(provider).All[0].BaseAddress;
            http.Timeout = Timeout.InfiniteTimeSpan;
        });
        client.AddHttpMessageHandler(sp => new ProviderEndpointsHandler(
            sp.GetRequiredKeyedService<ProviderEndpoints>(provider), sp.GetRequiredService<ResiliencePipelineRegistry<string>>(), sp));
        return client;
    }

    /// <summary>
    /// Puts the token endpoint's own pipeline (<c>&lt;provider&gt;.token</c>, our dependency strategies
    /// with its own breaker) on a token HttpClient, whose own timeout is off.
    /// </summary>
    public static IHttpClientBuilder AddTokenPipeline(this IHttpClientBuilder client, string provider)
    {
        ArgumentNullException.ThrowIfNull(client);
        var name = TokenPipelineName(provider);
        client.ConfigureHttpClient(http => http.Timeout = Timeout.InfiniteTimeSpan);
        client.AddResilienceHandler(name, (builder, context) =>
        {
            context.EnableReloads<DependencyPipelineOptions>(name);
            builder.AddDependencyStrategies(DependencyPipelineServiceCollectionExtensions.CreateContext(context.ServiceProvider, name, TransientFailures.Http));
        });
        return client;
    }
}
