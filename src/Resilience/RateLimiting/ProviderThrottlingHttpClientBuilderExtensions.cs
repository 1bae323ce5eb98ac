using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Resilience.RateLimiting;

/// <summary>Wires <see cref="ProviderThrottlingHandler"/> into typed HTTP clients.</summary>
public static class ProviderThrottlingHttpClientBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="ProviderThrottlingHandler"/> for <paramref name="provider"/> to the client's handlers. Put it
    /// inside the resilience handler (add it after <c>AddResilienceHandler</c>), so each attempt's 429 is reported.
    /// Needs <c>AddProviderQuotas()</c>.
    /// </summary>
    public static IHttpClientBuilder AddProviderThrottleReporting(this IHttpClientBuilder builder, string provider)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(provider);
        return builder.AddHttpMessageHandler(sp => new ProviderThrottlingHandler(
            sp.GetRequiredService<ProviderQuota>(), provider, sp.GetRequiredService<TimeProvider>()));
    }
}
