using MassTransit.Logging;
using MassTransit.Monitoring;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>OpenTelemetry wiring shared by every host.</summary>
public static class OpenTelemetryExtensions
{
    /// <summary>The meter of Polly (and so of Microsoft.Extensions.Resilience pipelines).</summary>
    public const string PollyMeterName = "Polly";

    /// <summary>
    /// The pattern of our own activity sources and meters (<c>Messaging.Gateway</c>, <c>Messaging.Workers</c>,
    /// <c>Messaging.Resilience</c>, <c>Messaging.Commands</c>, <c>Messaging.Outbox</c>): each part names its own,
    /// and this wildcard subscribes to all of them without this project referencing any.
    /// </summary>
    public const string MessagingSourcesPattern = "Messaging.*";

    /// <summary>
    /// Adds OpenTelemetry logging, tracing and metrics. The service name is <c>OTEL_SERVICE_NAME</c> or the
    /// application name. Traces: ASP.NET Core (without health and metrics requests), HttpClient, Npgsql,
    /// MassTransit and our sources (<see cref="MessagingSourcesPattern"/>). Metrics: ASP.NET Core, HttpClient,
    /// runtime, Polly, Npgsql, MassTransit and our meters. Metrics are always exposed for Prometheus
    /// scraping (<c>/metrics</c> via <c>MapDefaultEndpoints</c>); the OTLP exporter is added only when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is configured. Logs: every record carries the current trace and span
    /// ids (OpenTelemetry's log records, and a scope for the other providers through
    /// <see cref="ActivityTrackingOptions"/>) and the scopes opened around it (the command id in workers).
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"];
        if (string.IsNullOrWhiteSpace(serviceName))
        {
            serviceName = builder.Environment.ApplicationName;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });
        builder.Logging.Configure(options => options.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);

        // Polly's own telemetry logs every execution attempt at Information, with the call's result: too much, and the
        // result may hold data. Handled failures and retries (Warning) still log; our resilience events have their own.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(MessagingSourcesPattern)
                .AddSource(DiagnosticHeaders.DefaultListenerName)
                .AddAspNetCoreInstrumentation(options => options.Filter = static context => !IsInfrastructureRequest(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter(PollyMeterName)
                .AddMeter(InstrumentationOptions.MeterName)
                .AddMeter(MessagingSourcesPattern)
                .AddPrometheusExporter());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    private static bool IsInfrastructureRequest(PathString path) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments(ServiceDefaultsExtensions.MetricsPath, StringComparison.OrdinalIgnoreCase);
}
