using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Messaging.Workers.ExternalServices;

/// <summary>
/// Defaults of the standard resilience handler on the provider clients: retries with exponential
/// backoff and jitter (honouring <c>Retry-After</c>), a circuit breaker, an attempt timeout and a total
/// timeout that bounds everything, including the waits between retries. Retrying POSTs is safe here
/// because every request carries the command id as its idempotency key. Each client's section
/// <c>ExternalServices:&lt;Provider&gt;:Resilience</c> (the shape of <see cref="HttpStandardResilienceOptions"/>)
/// overrides these values.
/// </summary>
internal static class ProviderResilience
{
    /// <summary>The time one attempt may take.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The time a call may take with all its retries.</summary>
    public static readonly TimeSpan TotalTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Adds the standard resilience handler with these defaults, overridden by <paramref name="section"/> when it exists.</summary>
    public static IHttpClientBuilder AddProviderResilience(this IHttpClientBuilder client, IConfigurationSection section)
    {
        var pipeline = client.AddStandardResilienceHandler(ConfigureDefaults);
        if (section.Exists())
        {
            pipeline.Configure(section);
        }

        return client;
    }

    private static void ConfigureDefaults(HttpStandardResilienceOptions options)
    {
        options.AttemptTimeout.Timeout = AttemptTimeout;
        options.TotalRequestTimeout.Timeout = TotalTimeout;
        options.Retry.MaxRetryAttempts = 3;
        options.Retry.BackoffType = DelayBackoffType.Exponential;
        options.Retry.UseJitter = true;
        options.Retry.Delay = TimeSpan.FromMilliseconds(500);
        // The breaker's sampling window must be at least twice the attempt timeout.
        options.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(30);
    }
}
