using Messaging.Resilience.Pipelines;
using Microsoft.Extensions.Hosting;

namespace Messaging.CommandTypes.Providers;

/// <summary>Declares how the workers reach one provider. Returned by <see cref="CommandProviderExtensions.AddCommandProvider"/>.</summary>
public sealed class CommandProviderBuilder
{
    internal CommandProviderBuilder(CommandProviderRegistration registration) => Registration = registration;

    /// <summary>What has been declared so far.</summary>
    public CommandProviderRegistration Registration { get; }

    /// <summary>The configuration section with the provider's <c>Endpoints</c> (failover order) and anything its handlers read.</summary>
    public CommandProviderBuilder WithConfigurationSection(string section)
    {
        ArgumentException.ThrowIfNullOrEmpty(section);
        Registration.Section = section;
        return this;
    }

    /// <summary>The defaults of the provider's pipelines (timeouts, retries, breaker); <c>Resilience:Dependencies:&lt;name&gt;</c> overrides each value.</summary>
    public CommandProviderBuilder WithPipelineDefaults(Action<DependencyPipelineOptions> defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        Registration.PipelineDefaults = defaults;
        return this;
    }

    /// <summary>
    /// Adds to the provider's HttpClient before its endpoints' pipelines: the outermost handlers, such as
    /// credentials (one token serves every endpoint of a call, and a token failure never counts against an
    /// endpoint's breaker).
    /// </summary>
    public CommandProviderBuilder ConfigureHttpClient(Action<IHttpClientBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Registration.ClientSetup.Add(configure);
        return this;
    }

    /// <summary>Registers what the provider's handlers need in the workers only (its options, a token client).</summary>
    public CommandProviderBuilder ConfigureServices(Action<IHostApplicationBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Registration.ServiceSetup.Add(configure);
        return this;
    }
}
