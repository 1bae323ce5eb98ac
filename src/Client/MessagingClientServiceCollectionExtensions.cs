using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Client;

/// <summary>Registers <see cref="MessagingClient"/>.</summary>
public static class MessagingClientServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> behind <see cref="MessagingClient"/>.</summary>
    public const string HttpClientName = "Messaging.Client";

    /// <summary>
    /// Adds <see cref="MessagingClient"/> as a typed client of the named <see cref="HttpClient"/>
    /// <see cref="HttpClientName"/>, with <paramref name="configure"/> applied to its options (validated on
    /// start: base address, client id and secret are required). Token requests go through the same
    /// <see cref="HttpClient"/>, so proxies, certificates and handlers configured on the returned builder
    /// apply to them too. Retries are built in (see <see cref="MessagingClientOptions.MaxRetryAttempts"/>):
    /// do not add a retrying handler on top of them.
    /// </summary>
    /// <returns>The builder of the named client, to configure it like any other <see cref="HttpClient"/>.</returns>
    public static IHttpClientBuilder AddMessagingClient(this IServiceCollection services, Action<MessagingClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<MessagingClientOptions>()
            .Configure(configure)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<AccessTokenSource>();
        return services.AddHttpClient(HttpClientName, (sp, http) =>
            {
                var baseAddress = sp.GetRequiredService<IOptions<MessagingClientOptions>>().Value.BaseAddress!;
                // Relative paths resolve below the base address only when it ends with a slash.
                http.BaseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
            })
            .AddTypedClient((http, sp) => new MessagingClient(
                http,
                sp.GetRequiredService<AccessTokenSource>(),
                sp.GetRequiredService<IOptions<MessagingClientOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<MessagingClient>>()));
    }
}
