using Messaging.CommandTypes;
using Messaging.CommandTypes.Providers;
using Messaging.Samples.ShippingLabels;
using Microsoft.Extensions.DependencyInjection;

// In the hosting namespace, as ASP.NET Core's and Aspire's Add… extensions are: a host adds the module with one
// line and no using directive.
namespace Microsoft.Extensions.Hosting;

/// <summary>The sample's one registration: the command type and the provider it calls.</summary>
public static class ShippingLabelsCommandType
{
    /// <summary>The provider's name: pipelines <c>shipping@host:port</c>, <c>Resilience:Dependencies:shipping</c>, <c>RateLimiting:Providers:shipping</c>.</summary>
    public const string ProviderName = "shipping";

    /// <summary>Where the provider is when <c>ExternalServices:Shipping:Endpoints</c> is not set: the fake provider of tests/FakeServices.</summary>
    public const string DefaultEndpoint = "http://127.0.0.1:5094";

    /// <summary>
    /// Registers <c>shipping.labels.create</c> (default deadline 6 hours) and the <c>shipping</c> provider
    /// (endpoints <c>ExternalServices:Shipping:Endpoints</c>, API key <c>ExternalServices:Shipping:ApiKey</c>).
    /// Gateway and Workers each call it once.
    /// </summary>
    public static IHostApplicationBuilder AddShippingLabels(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddCommandType<CreateShippingLabel>(CreateShippingLabel.TypeName)
            .WithRequest<CreateShippingLabelRequest>()
            .WithDefaultTimeout(TimeSpan.FromHours(6))
            .UsesProvider(ProviderName)
            .ExecutedBy<CreateShippingLabelHandler>();

        builder.AddCommandProvider(ProviderName)
            .WithConfigurationSection(ShippingOptions.SectionName)
            .ConfigureServices(workers =>
            {
                workers.Services.AddOptions<ShippingOptions>()
                    .Bind(workers.Configuration.GetSection(ShippingOptions.SectionName))
                    .ValidateDataAnnotations()
                    .ValidateOnStart();
                workers.Services.PostConfigure<ProviderEndpointsOptions>(ProviderName, endpoints =>
                {
                    if (endpoints.Endpoints.Count == 0)
                    {
                        endpoints.Endpoints.Add(DefaultEndpoint);
                    }
                });
            });
        return builder;
    }
}
