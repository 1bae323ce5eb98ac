using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Net.Http.Headers;

namespace Messaging.ServiceDefaults.HealthChecks;

/// <summary>
/// Answers <c>/health/ready</c> from one shared <see cref="HealthReport"/> at most <see cref="MaxAge"/> old, so that a
/// flood of anonymous readiness requests on the public port is at most one round of PostgreSQL and Redis checks a
/// second, and concurrent requests wait for the same round instead of starting their own.
/// </summary>
internal sealed class ReadinessReportCache(HealthCheckService healthChecks, TimeProvider timeProvider, TimeSpan maxAge)
{
    private static readonly Func<HealthCheckRegistration, bool> IsReadinessCheck =
        static registration => registration.Tags.Contains(HealthCheckTags.Ready);

    private readonly Lock _gate = new();
    private Task<HealthReport>? _report;
    private long _startedAt;

    /// <summary>How old a report may be when it is served; zero means every request not joining a round starts one.</summary>
    public TimeSpan MaxAge { get; } = maxAge;

    /// <summary>The report of the round in flight, of the last round if it is fresh enough, or of a new round.</summary>
    public Task<HealthReport> GetAsync()
    {
        lock (_gate)
        {
            if (_report is { } report
                && (!report.IsCompleted || (report.IsCompletedSuccessfully && timeProvider.GetElapsedTime(_startedAt) < MaxAge)))
            {
                return report;
            }

            // Not tied to one caller's cancellation: the round serves everyone, and each check has its own timeout.
            _startedAt = timeProvider.GetTimestamp();
            _report = healthChecks.CheckHealthAsync(IsReadinessCheck, CancellationToken.None);
            return _report;
        }
    }

    /// <summary>Writes the report as the health check middleware would: 200 for Healthy and Degraded, 503 for Unhealthy, never cached.</summary>
    public async Task WriteAsync(HttpContext context)
    {
        var report = await GetAsync().WaitAsync(context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        context.Response.Headers[HeaderNames.CacheControl] = "no-store, no-cache";
        context.Response.Headers[HeaderNames.Pragma] = "no-cache";
        await HealthResponseWriter.WriteAsync(context, report).ConfigureAwait(false);
    }
}
