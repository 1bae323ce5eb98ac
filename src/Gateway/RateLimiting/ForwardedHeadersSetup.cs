using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.RateLimiting;

/// <summary>
/// Which reverse proxies may set the client address (section <c>ForwardedHeaders</c>). Only connections from
/// <see cref="KnownProxies"/> have their <c>X-Forwarded-For</c> applied; from anyone else the header is ignored, so
/// a client cannot choose its own rate limiting partition. Empty (the default) trusts nobody.
/// </summary>
internal sealed class ForwardedHeadersSettings : IValidatableObject
{
    public const string SectionName = "ForwardedHeaders";

    /// <summary>IP addresses of the proxies in front of the gateway (<c>ForwardedHeaders:KnownProxies:0..n</c>).</summary>
    public List<string> KnownProxies { get; } = [];

    /// <summary>How many proxy hops of <c>X-Forwarded-For</c> are applied (each must be a known proxy).</summary>
    /// <value>The default value is 1.</value>
    [Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(KnownProxies[i], out _))
            {
                yield return new ValidationResult($"{SectionName}:KnownProxies:{i} ('{KnownProxies[i]}') is not an IP address.", [nameof(KnownProxies)]);
            }
        }
    }
}

/// <summary>Wires the forwarded headers middleware to <see cref="ForwardedHeadersSettings"/>.</summary>
internal static class ForwardedHeadersSetup
{
    public static WebApplicationBuilder AddGatewayForwardedHeaders(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ForwardedHeadersSettings>()
            .Bind(builder.Configuration.GetSection(ForwardedHeadersSettings.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardedHeadersSettings>>((options, settings) =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.ForwardLimit = settings.Value.ForwardLimit;

            // The framework trusts loopback by default; here only the configured proxies are trusted.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in settings.Value.KnownProxies)
            {
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        });
        return builder;
    }

    public static WebApplication UseGatewayForwardedHeaders(this WebApplication app)
    {
        app.UseForwardedHeaders();
        return app;
    }
}
