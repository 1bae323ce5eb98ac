using Messaging.Resilience.Pipelines;
using Messaging.Resilience.Telemetry;
using Messaging.Store.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polly;

namespace Messaging.Gateway.Monitoring;

/// <summary>Wires queue monitoring, the built-in alerts, their webhook and the <c>/monitor</c> page.</summary>
internal static class MonitoringExtensions
{
    /// <summary>
    /// Registers the monitoring sampler (section <c>Monitoring</c>), the queue sources (<c>RabbitMq:Management</c>, falling
    /// back to AMQP), the alert rules (<c>Alerts</c>) and the optional webhook (<c>Alerts:Webhook</c>), all validated at
    /// start. Expects PostgreSQL, the dead-letter store, shared breaker states and health checks
    /// (<c>AddMessagingPostgres</c>, <c>AddDeadLetters</c>, <c>AddInfrastructurePipelines</c>, <c>AddServiceDefaults</c>).
    /// </summary>
    public static WebApplicationBuilder AddMonitoring(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<MonitoringOptions>().Bind(builder.Configuration.GetSection(MonitoringOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RabbitMqManagementOptions>().Bind(builder.Configuration.GetSection(RabbitMqManagementOptions.SectionName))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<RabbitMqManagementOptions>, RabbitMqManagementOptionsValidator>();
        services.AddOptions<AlertsOptions>().Bind(builder.Configuration.GetSection(AlertsOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AlertWebhookOptions>().Bind(builder.Configuration.GetSection(AlertWebhookOptions.SectionName))
            .ValidateDataAnnotations().ValidateOnStart();

        services.AddResilienceCore();
        services.AddSharedBreakerStates();
        services.AddCommandMetrics().AddFleetCounters();
        // Every request carries the broker's credentials: a redirect must not take them to an address nobody configured.
        services.AddHttpClient(ManagementApiQueueSource.HttpClientName).RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddHttpClient(AlertWebhook.HttpClientName).RemoveAllLoggers();
        services.AddResiliencePipeline(AlertWebhook.PipelineName, (pipeline, context) =>
            AlertWebhook.Configure(pipeline, context.ServiceProvider.GetRequiredService<IOptions<AlertWebhookOptions>>().Value));

        services.TryAddSingleton<RabbitMqEndpoints>();
        services.TryAddSingleton<ManagementApiQueueSource>();
        services.TryAddSingleton<AmqpQueueSource>();
        services.TryAddSingleton<QueueStatisticsReader>();
        services.TryAddSingleton<AlertEvaluator>();
        services.TryAddSingleton<AlertWebhook>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertWebhook>());
        services.TryAddSingleton<MonitoringSampler>();
        services.AddHostedService(sp => sp.GetRequiredService<MonitoringSampler>());
        return builder;
    }
}
