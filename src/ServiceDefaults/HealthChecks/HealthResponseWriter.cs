using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Messaging.ServiceDefaults.HealthChecks;

/// <summary>
/// Writes <c>{status, totalDurationMs, checks:[{name, status, description?, durationMs}]}</c>. Only
/// descriptions of checks tagged <see cref="HealthCheckTags.PublicDescription"/> are written; exceptions and
/// check data never are.
/// </summary>
internal static class HealthResponseWriter
{
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteNumber("totalDurationMs", Milliseconds(report.TotalDuration));
        json.WriteStartArray("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteString("status", entry.Status.ToString());
            if (IsPublic(entry))
            {
                json.WriteString("description", entry.Description);
            }

            json.WriteNumber("durationMs", Milliseconds(entry.Duration));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    // A check that threw gets the exception's message as its description: never publish that.
    private static bool IsPublic(HealthReportEntry entry) =>
        entry.Description is { Length: > 0 }
        && entry.Tags.Contains(HealthCheckTags.PublicDescription)
        && !string.Equals(entry.Description, entry.Exception?.Message, StringComparison.Ordinal);

    private static double Milliseconds(TimeSpan duration) => Math.Round(duration.TotalMilliseconds, 1);
}
