using Messaging.ServiceDefaults.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>The checks that stop a host in Production with unsafe settings (docs/security.md, "Safe defaults").</summary>
public static class SecurityExtensions
{
    /// <summary>The section whose URLs are checked by default: every provider's <c>Endpoints</c> and <c>TokenUrl</c>.</summary>
    public const string ExternalServicesSection = "ExternalServices";

    /// <summary>
    /// In Production, refuses to start (options validation, before anything connects) with the shipped passwords
    /// (<c>Password=messaging</c>, <c>guest:guest</c>) unless <c>Security:AllowDefaultCredentials</c> is true, which logs
    /// a warning instead; and with any plain http URL to a host other than loopback under <c>ExternalServices</c> (and the
    /// sections added by <see cref="RequireSecureUrlsInProduction"/>). Called by <c>AddServiceDefaults</c>.
    /// </summary>
    public static TBuilder AddProductionSafety<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<SecurityOptions>()
            .Bind(builder.Configuration.GetSection(SecurityOptions.SectionName))
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SecurityOptions>, ProductionSafetyValidator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DefaultCredentialsWarning>());
        return builder.RequireSecureUrlsInProduction(ExternalServicesSection);
    }

    /// <summary>
    /// Adds configuration sections whose every absolute URL must be https, or http to a loopback address, in Production
    /// (for a provider configured outside <c>ExternalServices</c>).
    /// </summary>
    public static TBuilder RequireSecureUrlsInProduction<TBuilder>(this TBuilder builder, params IEnumerable<string> sections)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(sections);
        foreach (var section in sections)
        {
            ArgumentException.ThrowIfNullOrEmpty(section);
            builder.Services.AddSingleton(new SecureUrlSection(section)); // the validator reads each section once
        }

        return builder;
    }
}
