using Messaging.Resilience.Pipelines;
using Microsoft.Extensions.Hosting;

namespace Messaging.CommandTypes.Providers;

/// <summary>
/// One external provider as its registration declared it (<see cref="CommandProviderExtensions.AddCommandProvider"/>).
/// Only the workers apply it: the gateway never calls a provider, so it needs none of its settings.
/// </summary>
public sealed class CommandProviderRegistration
{
    internal CommandProviderRegistration(string name) => Name = name;

    /// <summary>The provider's name: its dependency name (<c>Resilience:Dependencies:&lt;name&gt;</c>), breakers <c>&lt;name&gt;@host:port</c>, quota and HttpClient name.</summary>
    public string Name { get; }

    /// <summary>Where its endpoints are configured: <c>&lt;Section&gt;:Endpoints:0..n</c>.</summary>
    /// <value>The default value is <c>ExternalServices:&lt;name&gt;</c>.</value>
    public string Section { get; internal set; } = "";

    internal Action<DependencyPipelineOptions>? PipelineDefaults { get; set; }

    internal List<Action<IHttpClientBuilder>> ClientSetup { get; } = [];

    internal List<Action<IHostApplicationBuilder>> ServiceSetup { get; } = [];
}
