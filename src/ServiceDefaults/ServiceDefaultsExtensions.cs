using Messaging.ServiceDefaults.HealthChecks;
using Messaging.ServiceDefaults.Management;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
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

    /// <summary>How old the report <c>/health/ready</c> answers with may be while it is served on the public port.</summary>
    public static readonly TimeSpan PublicReadinessMaxAge = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Adds the shared defaults: <see cref="TimeProvider.System"/> (unless one is registered),
    /// OpenTelemetry (<see cref="OpenTelemetryExtensions.ConfigureOpenTelemetry"/>), health checks
    /// (<see cref="HealthCheckExtensions.AddDefaultHealthChecks"/>: PostgreSQL and Redis when their
    /// connection strings are configured), RFC 9457 problem details with <c>traceId</c> and without
    /// exception text, log redaction of <c>[Secret]</c>/<c>[Personal]</c> values, HttpClient defaults that
    /// keep header values (Authorization) out of logs, and the Production checks of
    /// <see cref="SecurityExtensions.AddProductionSafety"/>.
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
        builder.AddProductionSafety();

        // Moved to their own port, the endpoints are not public and /health/ready answers from a fresh round each time.
        var maxAge = ManagementUrls.Read(builder.Configuration).Count > 0 ? TimeSpan.Zero : PublicReadinessMaxAge;
        builder.Services.TryAddSingleton(sp => new ReadinessReportCache(
            sp.GetRequiredService<HealthCheckService>(), sp.GetRequiredService<TimeProvider>(), maxAge));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, ManagementPortMatcherPolicy>());
        return builder;
    }

    /// <summary>
    /// Maps <c>/health/live</c> (checks tagged <c>live</c>), <c>/health/ready</c> (checks tagged
    /// <c>ready</c>, including MassTransit's bus check) and <c>/metrics</c> (Prometheus text). Health
    /// responses are JSON <c>{status, totalDurationMs, checks:[{name, status, description?, durationMs}]}</c>
    /// with 200 for Healthy/Degraded and 503 for Unhealthy. All three are anonymous and exempt from rate limiting.
    /// With <c>Management:Urls</c> Kestrel listens there as well as on <c>Urls</c> and the three are served only on
    /// the management ports; without it <c>/health/ready</c> answers from a report at most
    /// <see cref="PublicReadinessMaxAge"/> old.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var management = ListenForManagement(app);
        var live = app.MapHealthChecks(LivePath, new HealthCheckOptions
        {
            Predicate = static registration => registration.Tags.Contains(HealthCheckTags.Live),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        });
        var ready = app.Map(ReadyPath, (RequestDelegate)(static context => context.RequestServices.GetRequiredService<ReadinessReportCache>().WriteAsync(context)));
        var metrics = app.MapPrometheusScrapingEndpoint(MetricsPath);
        foreach (var endpoint in new[] { live, ready, metrics })
        {
            endpoint.AllowAnonymous().DisableRateLimiting();
            if (management is not null)
            {
                endpoint.WithMetadata(management);
            }
        }

        return app;
    }

    // Kestrel listens on the public addresses and the management ones; the endpoints are then matched by the local port
    // of the connection (ManagementPortMatcherPolicy). A server without addresses (the in-memory test server) has no ports.
    private static ManagementEndpointMetadata? ListenForManagement(WebApplication app)
    {
        var managementUrls = ManagementUrls.Read(app.Configuration);
        if (managementUrls.Count == 0)
        {
            return null;
        }

        var ports = ManagementUrls.Ports(managementUrls);
        var publicUrls = ManagementUrls.Public(app.Configuration);
        if (ManagementUrls.Ports(publicUrls.Where(url => !url.EndsWith(":0", StringComparison.Ordinal)).ToList()).Overlaps(ports))
        {
            throw new InvalidOperationException($"Management:Urls ({string.Join(";", managementUrls)}) must use ports other than Urls ({string.Join(";", publicUrls)}).");
        }

        if (app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses is { IsReadOnly: false } addresses)
        {
            // Kestrel reads Urls only when no address was added: add both.
            if (addresses.Count == 0)
            {
                foreach (var url in publicUrls)
                {
                    addresses.Add(url);
                }
            }

            foreach (var url in managementUrls)
            {
                addresses.Add(url);
            }
        }

        return new ManagementEndpointMetadata(ports);
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
