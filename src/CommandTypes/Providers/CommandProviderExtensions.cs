using Messaging.Contracts.Commands;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.CommandTypes.Providers;

/// <summary>Registers providers (<see cref="AddCommandProvider"/>) and, in the workers, wires them.</summary>
public static class CommandProviderExtensions
{
    /// <summary>
    /// Declares the provider <paramref name="name"/> that command types name with <c>UsesProvider</c>. The
    /// workers give it what every provider gets: endpoints in failover order from
    /// <c>ExternalServices:&lt;name&gt;:Endpoints</c>, one dependency pipeline and breaker per endpoint, a total
    /// timeout bounded by each command's deadline, its 429s reported to its quota, and request logging
    /// without headers. Declare it once, in the module of the types that use it.
    /// </summary>
    public static CommandProviderBuilder AddCommandProvider(this IHostApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!CommandTypeRegistry.IsValidProviderName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid provider name (^[a-z][a-z0-9-]*$).", nameof(name));
        }

        if (builder.Services.CommandProviderRegistrations().Any(p => p.Name == name))
        {
            throw new InvalidOperationException($"The provider '{name}' is declared twice; declare it once, in the module of the types that use it.");
        }

        var registration = new CommandProviderRegistration(name) { Section = $"ExternalServices:{name}" };
        builder.Services.AddSingleton(registration);
        return new CommandProviderBuilder(registration);
    }

    /// <summary>The providers declared in <paramref name="services"/> so far (for wiring that must know them before the container is built).</summary>
    public static IReadOnlyList<CommandProviderRegistration> CommandProviderRegistrations(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services
            .Where(d => d.ServiceType == typeof(CommandProviderRegistration) && d.ImplementationInstance is not null)
            .Select(d => (CommandProviderRegistration)d.ImplementationInstance!)
            .ToList();
    }

    /// <summary>
    /// The workers' part: wires every declared provider (endpoints, pipelines, HttpClient), validates their
    /// settings on start, and checks that the provider of every command type the workers execute (one with a
    /// handler) is declared. Call it after the modules (it reads their registrations) and after
    /// <c>AddProviderQuotas()</c>. Every endpoint's pipeline, and so its breaker, is built at start
    /// (<see cref="ProviderBreakersStartup"/>).
    /// </summary>
    public static IHostApplicationBuilder AddCommandProviders(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<TokenRefreshOptions>()
            .Bind(configuration.GetSection(TokenRefreshOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<ClientCredentialsTokenProvider>();
        services.TryAddSingleton<ProviderHttpLogger>();

        var providers = services.CommandProviderRegistrations();
        var undeclared = services.CommandTypeRegistrations()
            .Where(t => t.HandlerType is not null && !t.AddressedPerCommand && t.Provider is not null && providers.All(p => p.Name != t.Provider))
            .Select(t => $"{t.TypeName} uses the provider '{t.Provider}', which no module declares (AddCommandProvider).")
            .ToList();
        if (undeclared.Count > 0)
        {
            throw new InvalidOperationException(string.Join(" ", undeclared));
        }

        foreach (var provider in providers)
        {
            AddProvider(builder, provider);
        }

        // Every endpoint's breaker exists from the start, closed: see ProviderBreakersStartup.
        services.AddHostedService<ProviderBreakersStartup>();
        return builder;
    }

    /// <summary>
    /// A provider's answer is the answer: a redirect is not followed (it would re-send the body, and credentials, to
    /// an address nobody configured). A 3xx reaches the handler, which treats it as an unexpected status.
    /// </summary>
    internal static IHttpClientBuilder WithoutRedirects(this IHttpClientBuilder client) =>
        client.ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });

    private static void AddProvider(IHostApplicationBuilder builder, CommandProviderRegistration provider)
    {
        var services = builder.Services;
        var name = provider.Name;
        var section = provider.Section;
        services.AddOptions<ProviderEndpointsOptions>(name)
            .Bind(builder.Configuration.GetSection(section))
            .Validate(o => ProviderHttp.AreValidEndpoints(o.Endpoints), $"{section}:Endpoints must list at least one absolute http(s) URL.")
            .Validate(o => o.Endpoints.Count <= ProviderEndpoints.MaxCount, $"{section}:Endpoints must list at most {ProviderEndpoints.MaxCount} URLs.")
            .ValidateOnStart();
        services.AddDependencyOptions(builder.Configuration, name, provider.PipelineDefaults);
        services.AddKeyedSingleton(name, (sp, _) =>
            new ProviderEndpoints(name, sp.GetRequiredService<IOptionsMonitor<ProviderEndpointsOptions>>().Get(name).Endpoints));

        foreach (var setup in provider.ServiceSetup)
        {
            setup(builder);
        }

        // Handlers run outside-in in the order added: the provider's own (credentials) outermost, then
        // failover across the endpoints' pipelines, and inside those every attempt's 429 pauses the quota.
        var client = services.AddHttpClient(name).RemoveAllLoggers().AddLogger<ProviderHttpLogger>().WithoutRedirects();
        foreach (var setup in provider.ClientSetup)
        {
            setup(client);
        }

        client.AddProviderEndpoints(name).AddProviderThrottleReporting(name);
    }
}
