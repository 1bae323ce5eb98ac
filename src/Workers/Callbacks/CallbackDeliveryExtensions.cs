using Messaging.CommandTypes;
using Messaging.Contracts.Callbacks;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.Signing;
using Messaging.Store.Callbacks;
using Microsoft.Extensions.Options;

namespace Messaging.Workers.Callbacks;

/// <summary>Completion callbacks in the workers.</summary>
internal static class CallbackDeliveryExtensions
{
    /// <summary>
    /// Executes <c>callbacks.deliver</c> (registered by the built-in types in both hosts) with
    /// <see cref="CallbackDeliveryHandler"/>: the <c>callbacks</c> client (no redirects, one pipeline pair per origin), the
    /// signing secrets (decrypted with the <c>Callbacks:SecretKeys</c> the gateway encrypts with), and the type's defaults:
    /// delayed retries with backoff from 5 s to 1 h for 24 h after the first failure, then a dead letter; room for several
    /// origins at once on the endpoint.
    /// </summary>
    public static IHostApplicationBuilder AddCallbackDelivery(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        builder.CommandType<DeliverCallback>()
            .AddressedPerCommand()
            .WithDefaults(options =>
            {
                options.Retry.MaxAttempts = 100;
                options.Retry.BaseDelay = TimeSpan.FromSeconds(5);
                options.Retry.MaxDelay = TimeSpan.FromHours(1);
                options.Retry.MaxRetryPeriod = TimeSpan.FromHours(24);
                options.Flow.ConcurrencyLimit = 32;
            })
            .ExecutedBy<CallbackDeliveryHandler>();

        services.AddOptions<CallbackDeliveryOptions>()
            .BindConfiguration(CallbackDeliveryOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<CallbackDeliveryOptions>, CallbackDeliveryOptionsValidator>();
        services.AddCallbackSecretProtection();
        services.AddSingleton<CallbackSigningSecrets>();
        services.AddDependencyOptions(builder.Configuration, CallbackOriginHandler.Dependency, CallbackPipelineDefaults);
        services.AddHttpClient(CallbackDeliveryHandler.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // A receiver's answer is the answer: a redirect would send the signed event somewhere no allow-list admitted.
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })
            .AddHttpMessageHandler(sp => ActivatorUtilities.CreateInstance<CallbackOriginHandler>(sp));
        return builder;
    }

    /// <summary>
    /// A receiver answers fast or not at all: a short attempt timeout, one immediate retry (the event's id makes a repeat
    /// harmless), and a breaker per origin that also counts slow answers, so a slow receiver is deferred rather than waited on.
    /// </summary>
    private static void CallbackPipelineDefaults(DependencyPipelineOptions options)
    {
        options.AttemptTimeout = TimeSpan.FromSeconds(10);
        options.TotalTimeout = TimeSpan.FromSeconds(15);
        options.Retry.MaxRetryAttempts = 1;
        options.Retry.BaseDelay = TimeSpan.FromMilliseconds(500);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Breaker.MinimumThroughput = 5;
        options.Breaker.BreakDuration = TimeSpan.FromSeconds(30);
        options.Breaker.SlowCallThreshold = TimeSpan.FromSeconds(5);
    }
}
