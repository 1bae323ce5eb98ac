using Messaging.CommandTypes.Providers;

namespace Messaging.Workers.ExternalServices;

/// <summary>Wires the providers the registered command types call.</summary>
internal static class ExternalServicesExtensions
{
    /// <summary>
    /// Wires every provider the modules declared (<c>AddCommandProvider</c>): its endpoints in failover order
    /// with one dependency pipeline and breaker each, its credentials, and its HttpClient, which each command's
    /// handler receives; validates <c>ExternalServices:*</c> and <c>Resilience:Dependencies:*</c> on start; and
    /// builds every endpoint's pipeline at start (<c>ProviderBreakersStartup</c>). Every 429 a provider
    /// answers is reported to its quota, so its <c>Retry-After</c> pauses that provider for every worker: call
    /// <c>AddProviderQuotas()</c> first, and the modules before this (Program.cs does).
    /// </summary>
    public static IHostApplicationBuilder AddExternalServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCommandProviders();
    }
}
