using System.Net.Http.Headers;

namespace Messaging.WolverinePeer;

/// <summary>The named <see cref="HttpClient"/> the handler calls the notifications provider with.</summary>
internal static class NotificationsProviderExtensions
{
    public static IServiceCollection AddNotificationsProvider(this IServiceCollection services, PeerSettings settings)
    {
        if (!settings.Handles)
        {
            return services;
        }

        services.AddHttpClient(SendNotificationHandler.ClientName, client =>
        {
            client.BaseAddress = settings.NotificationsEndpoint;
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.NotificationsApiKey);
            client.Timeout = TimeSpan.FromSeconds(10);
        });
        return services;
    }
}
