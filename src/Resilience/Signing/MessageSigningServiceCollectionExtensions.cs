using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Messaging.Resilience.Signing;

/// <summary>Registers the message signer and the callback secrets' protector.</summary>
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

    /// <summary>
    /// Adds <see cref="CallbackSecretProtector"/> with <see cref="CallbackSecretKeysOptions"/> bound to section <c>Callbacks</c>
    /// and validated at start (no keys is valid: then no callback secret can be made or read). Safe to call more than once.
    /// </summary>
    public static IServiceCollection AddCallbackSecretProtection(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(CallbackSecretProtector)))
        {
            return services;
        }

        services.AddOptions<CallbackSecretKeysOptions>().BindConfiguration(CallbackSecretKeysOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CallbackSecretKeysOptions>, CallbackSecretKeysOptionsValidator>());
        services.AddSingleton<CallbackSecretProtector>();
        return services;
    }
}
