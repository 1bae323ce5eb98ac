using Messaging.Workers.ExternalServices.Credentials;
using Messaging.Workers.ExternalServices.Notifications;
using Messaging.Workers.ExternalServices.Payments;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Messaging.Workers.ExternalServices;

/// <summary>Registers the provider clients, their options and the client-credentials token cache.</summary>
internal static class ExternalServicesExtensions
{
    /// <summary>
    /// Adds <see cref="PaymentsClient"/> and <see cref="NotificationsClient"/> (typed HttpClients with the
    /// standard resilience handler) and validates <c>ExternalServices:*</c> on start.
    /// </summary>
    public static IHostApplicationBuilder AddExternalServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<TokenRefreshOptions>()
            .Bind(configuration.GetSection(TokenRefreshOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<PaymentsOptions>()
            .Bind(configuration.GetSection(PaymentsOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => ProviderHttp.AreValidEndpoints(o.Endpoints),
                "ExternalServices:Payments:Endpoints must list at least one absolute http(s) URL.")
            .Validate(o => string.IsNullOrEmpty(o.TokenUrl) || ProviderHttp.IsHttpUrl(o.TokenUrl),
                "ExternalServices:Payments:TokenUrl must be an absolute http(s) URL.")
            .ValidateOnStart();
        services.AddOptions<NotificationsOptions>()
            .Bind(configuration.GetSection(NotificationsOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => ProviderHttp.AreValidEndpoints(o.Endpoints),
                "ExternalServices:Notifications:Endpoints must list at least one absolute http(s) URL.")
            .ValidateOnStart();

        services.AddSingleton<ClientCredentialsTokenProvider>();
        services.TryAddSingleton<ProviderHttpLogger>();
        services.AddHttpClient(ClientCredentialsTokenProvider.HttpClientName)
            .WithProviderLogging()
            .AddProviderResilience(configuration.GetSection(TokenRefreshOptions.SectionName + ":Resilience"));

        // Handlers run outside-in in the order added: the resilience handler wraps the credentials
        // handler, so each attempt gets a valid token. The base address is the first endpoint; failover
        // across ExternalServices:Payments:Endpoints replaces this with a routing (hedging) handler.
        var payments = services.AddHttpClient<PaymentsClient>((sp, http) =>
            http.BaseAddress = ProviderHttp.BaseAddress(sp.GetRequiredService<IOptions<PaymentsOptions>>().Value.Endpoints[0]));
        payments.WithProviderLogging();
        payments.AddProviderResilience(configuration.GetSection(PaymentsOptions.SectionName + ":Resilience"));
        payments.AddHttpMessageHandler(sp =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<PaymentsOptions>>();
            return new ClientCredentialsHandler(
                sp.GetRequiredService<ClientCredentialsTokenProvider>(),
                () => PaymentsCredentials(options.CurrentValue),
                sp.GetRequiredService<ILogger<ClientCredentialsHandler>>());
        });

        var notifications = services.AddHttpClient<NotificationsClient>((sp, http) =>
            http.BaseAddress = ProviderHttp.BaseAddress(sp.GetRequiredService<IOptions<NotificationsOptions>>().Value.Endpoints[0]));
        notifications.WithProviderLogging();
        notifications.AddProviderResilience(configuration.GetSection(NotificationsOptions.SectionName + ":Resilience"));
        return builder;
    }

    /// <summary>Request logging without headers: see <see cref="ProviderHttpLogger"/>.</summary>
    private static IHttpClientBuilder WithProviderLogging(this IHttpClientBuilder client) =>
        client.RemoveAllLoggers().AddLogger<ProviderHttpLogger>();

    private static ClientCredentials PaymentsCredentials(PaymentsOptions options) =>
        new(PaymentsClient.ProviderName, new Uri(options.TokenUrl, UriKind.Absolute), options.ClientId, options.ClientSecret, options.Scope);
}
