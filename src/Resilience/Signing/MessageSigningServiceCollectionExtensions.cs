using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Messaging.Resilience.Signing;

/// <summary>Registers the message signer.</summary>
public static class MessageSigningServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="MessageSigner"/> with <see cref="MessageSigningOptions"/> bound to section <c>Messaging</c> and
    /// validated at start (the host does not start without a key). Safe to call more than once.
    /// </summary>
    public static IServiceCollection AddMessageSigning(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(MessageSigner)))
        {
            return services;
        }

        services.AddOptions<MessageSigningOptions>().BindConfiguration(MessageSigningOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MessageSigningOptions>, MessageSigningOptionsValidator>());
        services.AddSingleton<MessageSigner>();
        return services;
    }
}
