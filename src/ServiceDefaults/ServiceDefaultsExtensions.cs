using Messaging.ServiceDefaults.HealthChecks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;

// Extension classes live in Microsoft.Extensions.Hosting (the eShop/Aspire convention) so that every
// host's Program.cs can call AddServiceDefaults()/MapDefaultEndpoints() without a using directive.
namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The wiring every host shares: OpenTelemetry, health checks, problem details, log redaction and
/// HttpClient defaults.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>The liveness endpoint: Healthy while the process runs.</summary>
    public const string LivePath = "/health/live";

    /// <summary>The readiness endpoint: one entry per dependency.</summary>
    public const string ReadyPath = "/health/ready";

    /// <summary>The Prometheus scrape endpoint.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// Adds the shared defaults: <see cref="TimeProvider.System"/> (unless one is registered),
    /// OpenTelemetry (<see cref="OpenTelemetryExtensions.ConfigureOpenTelemetry"/>), health checks
    /// (<see cref="HealthCheckExtensions.AddDefaultHealthChecks"/>: PostgreSQL and Redis when their
    /// connection strings are configured), RFC 9457 problem details with <c>traceId</c> and without
    /// exception text, log redaction of <c>[Secret]</c>/<c>[Personal]</c> values, and HttpClient defaults that
    /// keep header values (Authorization) out of logs.
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.AddDefaultProblemDetails();
        builder.AddLogRedaction();
        builder.AddHttpClientDefaults();
        return builder;
    }

    /// <summary>
    /// Maps <c>/health/live</c> (checks tagged <c>live</c>), <c>/health/ready</c> (checks tagged
    /// <c>ready</c>, including MassTransit's bus check) and <c>/metrics</c> (Prometheus text). Health
    /// responses are JSON <c>{status, totalDurationMs, checks:[{name, status, description?, durationMs}]}</c>
    /// with 200 for Healthy/Degraded and 503 for Unhealthy. All three are anonymous and exempt from rate limiting.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks(LivePath, new HealthCheckOptions
        {
            Predicate = static registration => registration.Tags.Contains(HealthCheckTags.Live),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        }).AllowAnonymous().DisableRateLimiting();

        app.MapHealthChecks(ReadyPath, new HealthCheckOptions
        {
            Predicate = static registration => registration.Tags.Contains(HealthCheckTags.Ready),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        }).AllowAnonymous().DisableRateLimiting();

        app.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous().DisableRateLimiting();
        return app;
    }

    /// <summary>
    /// Turns unhandled exceptions and bodiless error status codes into problem details
    /// (<c>UseExceptionHandler()</c> + <c>UseStatusCodePages()</c>). Call it first in the pipeline.
    /// </summary>
    public static WebApplication UseDefaultExceptionHandler(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}
