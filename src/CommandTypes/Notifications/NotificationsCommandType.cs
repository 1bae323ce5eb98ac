using Messaging.Contracts.Events;
using Messaging.Contracts.Notifications;
using Messaging.CommandTypes.Providers;
using Messaging.Resilience.Pipelines;
using Microsoft.Extensions.Hosting;

namespace Messaging.CommandTypes.Notifications;

/// <summary>The <c>notifications.send</c> command type and the <c>notifications</c> provider it calls.</summary>
public static class NotificationsCommandType
{
    /// <summary>The provider's name in errors, logs, pipelines, breakers and configuration.</summary>
    public const string ProviderName = "notifications";

    /// <summary>
    /// Registers <c>notifications.send</c> (default deadline 1 day; a dead letter is sent on the other channel
    /// or publishes <c>NotificationFailed</c>) and the notifications provider: endpoints under
    /// <c>ExternalServices:Notifications:Endpoints</c>, its API key under <c>ExternalServices:Notifications:ApiKey</c>.
    /// </summary>
    public static IHostApplicationBuilder AddNotificationsCommandType(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddCommandType<SendNotification>(SendNotification.TypeName)
            .WithRequest<SendNotificationRequest>()
            .WithDefaultTimeout(TimeSpan.FromDays(1))
            .UsesProvider(ProviderName)
            .ExecutedBy<SendNotificationHandler>()
            .WithFallback<SendNotificationFallback>()
            .Publishes<NotificationFailed>();

        builder.AddCommandProvider(ProviderName)
            .WithConfigurationSection(NotificationsOptions.SectionName)
            .WithPipelineDefaults(PipelineDefaults)
            .ConfigureServices(workers => workers.Services.AddOptions<NotificationsOptions>()
                .Bind(workers.Configuration.GetSection(NotificationsOptions.SectionName))
                .ValidateDataAnnotations()
                .ValidateOnStart());
        return builder;
    }

    /// <summary>A single endpoint by default, so two quick immediate retries with jitter.</summary>
    internal static void PipelineDefaults(DependencyPipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AttemptTimeout = TimeSpan.FromSeconds(5);
        options.TotalTimeout = TimeSpan.FromSeconds(15);
        options.Retry.MaxRetryAttempts = 2;
        options.Retry.BaseDelay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Breaker.BreakDuration = TimeSpan.FromSeconds(15);
        options.Breaker.SlowCallThreshold = TimeSpan.FromSeconds(3);
    }
}
