using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests.Reliability;

/// <summary>What the monitoring overview says about rate limiting, as the Redis scenarios watch it.</summary>
internal static class RateLimitingOverview
{
    /// <summary>
    /// <c>rateLimiting.degraded</c> of <c>GET /api/monitoring/overview</c> (deciding locally because Redis does not answer),
    /// or null while the gateway cannot answer.
    /// </summary>
    public static async Task<bool?> DegradedAsync(SystemFixture system, string adminToken)
    {
        try
        {
            using var response = await system.Http.SendAsync(system.Request(HttpMethod.Get, "api/monitoring/overview", adminToken));
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var overview = await response.Content.ReadFromJsonAsync<JsonElement>();
            return overview.GetProperty("rateLimiting").GetProperty("degraded").GetBoolean();
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
