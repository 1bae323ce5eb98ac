using Messaging.Resilience.Signing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Clients;

/// <summary>Wires the client store and secret hashing.</summary>
internal static class ClientsServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ClientStore"/>, <see cref="ClientSecretHasher"/> (<c>Auth:SecretPeppers</c>,
    /// <c>Auth:CurrentSecretPepper</c>, validated at start) and the callback secrets' protector (<c>Callbacks:SecretKeys</c>).
    /// Needs the <c>NpgsqlDataSource</c> from <c>AddMessagingPostgres()</c>.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayClients(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<ClientSecretHashingOptions>()
            .Bind(builder.Configuration.GetSection(ClientSecretHashingOptions.SectionName))
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClientSecretHashingOptions>, ClientSecretHashingOptionsValidator>());
        builder.Services.TryAddSingleton<ClientSecretHasher>();
        builder.Services.AddCallbackSecretProtection();
        builder.Services.TryAddSingleton<ClientStore>();
        return builder;
    }
}
