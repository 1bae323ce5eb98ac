using Messaging.Resilience.Pipelines;
using Messaging.Resilience.RateLimiting;
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
    /// Adds <see cref="PaymentsClient"/> and <see cref="NotificationsClient"/> (typed HttpClients that send
    /// through a failover pipeline and one dependency pipeline per endpoint), the payments token endpoint's
    /// pipeline, and validates <c>ExternalServices:*</c> and <c>Resilience:Dependencies:*</c> on start. Every
    /// endpoint's pipeline (and breaker) is built at start. Every 429 a provider answers is reported to its
    /// quota, so its <c>Retry-After</c> pauses that provider for every worker: call <c>AddProviderQuotas()</c>
    /// first (Program.cs does).
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
            .Validate(o => o.Endpoints.Count <= ProviderEndpoints.MaxCount,
                $"ExternalServices:Payments:Endpoints must list at most {ProviderEndpoints.MaxCount} URLs.")
            .Validate(o => string.IsNullOrEmpty(o.TokenUrl) || ProviderHttp.IsHttpUrl(o.TokenUrl),
                "ExternalServices:Payments:TokenUrl must be an absolute http(s) URL.")
            .ValidateOnStart();
        services.AddOptions<NotificationsOptions>()
            .Bind(configuration.GetSection(NotificationsOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => ProviderHttp.AreValidEndpoints(o.Endpoints),
                "ExternalServices:Notifications:Endpoints must list at least one absolute http(s) URL.")
            .Validate(o => o.Endpoints.Count <= ProviderEndpoints.MaxCount,
                $"ExternalServices:Notifications:Endpoints must list at most {ProviderEndpoints.MaxCount} URLs.")
            .ValidateOnStart();

        // One dependency per provider (and per token endpoint): settings and retry budget under
        // Resilience:Dependencies:<name>, shared by all of a provider's endpoints, each with its own breaker.
        var tokenPipeline = ProviderResilience.TokenPipelineName(PaymentsClient.ProviderName);
        services.AddDependencyOptions(configuration, PaymentsClient.ProviderName, ProviderResilience.PaymentsDefaults);
        services.AddDependencyOptions(configuration, NotificationsClient.ProviderName, ProviderResilience.NotificationsDefaults);
        services.AddDependencyOptions(configuration, tokenPipeline, ProviderResilience.TokenDefaults);
        services.AddKeyedSingleton(PaymentsClient.ProviderName, (sp, _) =>
            new ProviderEndpoints(PaymentsClient.ProviderName, sp.GetRequiredService<IOptions<PaymentsOptions>>().Value.Endpoints));
        services.AddKeyedSingleton(NotificationsClient.ProviderName, (sp, _) =>
            new ProviderEndpoints(NotificationsClient.ProviderName, sp.GetRequiredService<IOptions<NotificationsOptions>>().Value.Endpoints));

        services.AddSingleton<ClientCredentialsTokenProvider>();
        services.TryAddSingleton<ProviderHttpLogger>();
        services.AddHttpClient(tokenPipeline)
            .WithProviderLogging()
            .AddTokenPipeline(PaymentsClient.ProviderName);

        // Handlers run outside-in in the order added. The credentials handler is outermost: one valid
        // token serves every endpoint of a call, a 401 refreshes it once and sends the call once more, and
        // a token endpoint failure is never counted against a payments endpoint's breaker.
        var payments = services.AddHttpClient<PaymentsClient>().WithProviderLogging();
        payments.AddHttpMessageHandler(sp =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<PaymentsOptions>>();
            return new ClientCredentialsHandler(
                sp.GetRequiredService<ClientCredentialsTokenProvider>(),
                () => PaymentsCredentials(options.CurrentValue),
                sp.GetRequiredService<ILogger<ClientCredentialsHandler>>());
        });
        // Inside the endpoints' pipelines: every attempt's 429 (on any endpoint) pauses the provider's quota.
        payments.AddProviderEndpoints(PaymentsClient.ProviderName)
            .AddProviderThrottleReporting(PaymentsClient.ProviderName);

        services.AddHttpClient<NotificationsClient>()
            .WithProviderLogging()
            .AddProviderEndpoints(NotificationsClient.ProviderName)
            .AddProviderThrottleReporting(NotificationsClient.ProviderName);

        // Every endpoint's breaker exists from the start, closed: see ProviderBreakersStartup.
        services.AddHostedService<ProviderBreakersStartup>();
        return builder;
    }

    /// <summary>Request logging without headers: see <see cref="ProviderHttpLogger"/>.</summary>
    private static IHttpClientBuilder WithProviderLogging(this IHttpClientBuilder client) =>
        client.RemoveAllLoggers().AddLogger<ProviderHttpLogger>();

    private static ClientCredentials PaymentsCredentials(PaymentsOptions options) =>
        new(PaymentsClient.ProviderName, new Uri(options.TokenUrl, UriKind.Absolute), options.ClientId, options.ClientSecret, options.Scope);
}
