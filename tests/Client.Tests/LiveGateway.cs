using System.Collections.Concurrent;
using Messaging.Testing.Harness;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Client.Tests;

/// <summary>Clients of the live gateway of <see cref="SystemFixture"/>, built through <c>AddMessagingClient</c> as an application would.</summary>
internal static class LiveGateway
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<ClientCredentials>>> Credentials = new();

    /// <summary>A (cached) client of <paramref name="tenant"/>, created through the gateway's own CLI.</summary>
    public static Task<ClientCredentials> CredentialsAsync(SystemFixture system, string tenant, string scopes = "commands") =>
        Credentials.GetOrAdd($"{system.RabbitMqVirtualHost}|{tenant}|{scopes}", _ => new Lazy<Task<ClientCredentials>>(() => system.AddClientAsync(tenant, scopes))).Value;

    public static MessagingClient CreateClient(
        Uri gateway,
        ClientCredentials credentials,
        Action<MessagingClientOptions>? configure = null,
        Func<DelegatingHandler>? handler = null,
        TimeProvider? timeProvider = null)
    {
        var services = new ServiceCollection();
        if (timeProvider is not null)
        {
            services.AddSingleton(timeProvider);
        }

        var builder = services.AddMessagingClient(options =>
        {
            options.BaseAddress = gateway;
            options.ClientId = credentials.ClientId;
            options.ClientSecret = credentials.Secret;
            options.PollInterval = TimeSpan.FromMilliseconds(100);
            options.MaxPollInterval = TimeSpan.FromMilliseconds(500);
            configure?.Invoke(options);
        });
        if (handler is not null)
        {
            builder.AddHttpMessageHandler(handler);
        }

        return services.BuildServiceProvider().GetRequiredService<MessagingClient>();
    }
}
