using Messaging.FakeServices.Control;
using Messaging.FakeServices.Crm;
using Messaging.FakeServices.Faults;
using Messaging.FakeServices.Instances;
using Messaging.FakeServices.Ledger;
using Messaging.FakeServices.Notifications;
using Messaging.FakeServices.Payments;
using Messaging.FakeServices.Shipping;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Messaging.FakeServices;

/// <summary>Wiring of the fake providers, usable by Program.cs and by tests that host them in process.</summary>
public static class FakeServicesExtensions
{
    /// <summary>
    /// Registers the fake providers: options (section <c>FakeServices</c>, validated at start), one Kestrel
    /// endpoint per instance, the token store, the fault registry, the ledger and the CRM's state.
    /// </summary>
    public static WebApplicationBuilder AddFakeServices(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<FakeServicesOptions>()
            .Bind(builder.Configuration.GetSection(FakeServicesOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<FakeServicesOptions>, FakeServicesOptionsValidator>();
        services.AddSingleton<InstanceDirectory>();
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, KestrelInstanceEndpoints>();
        services.AddSingleton<FaultRegistry>();
        services.AddSingleton<ProviderLedger>();
        services.AddSingleton<PaymentsTokenStore>();
        services.AddSingleton<CrmAuthenticator>();
        services.AddSingleton<CrmBackend>();
        services.AddProblemDetails();
        services.AddHealthChecks();
        return builder;
    }

    /// <summary>Maps the provider APIs, the control API (<c>/control</c>) and <c>/health/live</c>.</summary>
    public static WebApplication MapFakeServices(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseStatusCodePages();
        app.MapPaymentsProvider();
        app.MapNotificationsProvider();
        app.MapShippingProvider();
        app.MapCrmProvider();
        app.MapControlApi();
        app.MapHealthChecks("/health/live");
        return app;
    }
}
