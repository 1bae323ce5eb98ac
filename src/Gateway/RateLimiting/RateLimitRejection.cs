using System.Globalization;
using System.Threading.RateLimiting;
using Messaging.Resilience.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.RateLimiting;

namespace Messaging.Gateway.RateLimiting;

/// <summary>
/// The 429 answer of every gateway limit: RFC 9457 problem+json with <c>Retry-After</c> (whole seconds, at least
/// 1) and the fields of draft-ietf-httpapi-ratelimit-headers-09 (structured fields, RFC 8941):
/// <c>RateLimit-Policy: "&lt;policy&gt;";q=&lt;permits&gt;;w=&lt;window seconds&gt;</c> and
/// <c>RateLimit: "&lt;policy&gt;";r=&lt;remaining&gt;;t=&lt;seconds until the quota is whole again&gt;</c>.
/// </summary>
internal static class RateLimitRejection
{
    public const string PolicyHeader = "RateLimit-Policy";
    public const string RateLimitHeader = "RateLimit";
    public const string ProblemType = "https://www.rfc-editor.org/rfc/rfc6585#section-4";
    public const string Title = "Too many requests";

    /// <summary>The <c>OnRejected</c> callback of the gateway's ASP.NET Core rate limiting middlewares.</summary>
    public static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        if (context.Lease.TryGetMetadata(RateLimitMetadata.Decision, out var decision))
        {
            await Result(http, decision).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        // Not one of ours (should not happen): still a well-formed 429.
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        http.Response.Headers.RetryAfter = Seconds(retryAfter);
        await Problem().ExecuteAsync(http).ConfigureAwait(false);
    }

    /// <summary>Sets the headers of a refused <paramref name="decision"/> and returns its problem result.</summary>
    public static ProblemHttpResult Result(HttpContext http, RateLimitDecision decision)
    {
        ArgumentNullException.ThrowIfNull(http);
        var headers = http.Response.Headers;
        var retryAfter = Seconds(decision.RetryAfter);
        headers.RetryAfter = retryAfter;
        headers[PolicyHeader] = PolicyValue(decision);
        headers[RateLimitHeader] = RateLimitValue(decision);
        headers.CacheControl = "no-store";
        return Problem();
    }

    /// <summary><c>"ip-auth";q=20;w=60</c>.</summary>
    public static string PolicyValue(RateLimitDecision decision) => string.Create(CultureInfo.InvariantCulture,
        $"\"{decision.Policy}\";q={decision.Rule.PermitLimit};w={Seconds(decision.Rule.Window)}");

    /// <summary><c>"ip-auth";r=0;t=42</c>.</summary>
    public static string RateLimitValue(RateLimitDecision decision) => string.Create(CultureInfo.InvariantCulture,
        $"\"{decision.Policy}\";r={Math.Max(0, decision.Remaining)};t={Seconds(decision.ResetAfter)}");

    private static ProblemHttpResult Problem() => TypedResults.Problem(
        statusCode: StatusCodes.Status429TooManyRequests,
        title: Title,
        type: ProblemType,
        detail: "The rate limit is exhausted; retry after the number of seconds in Retry-After.");

    private static string Seconds(TimeSpan value) =>
        Math.Max(1, (long)Math.Ceiling(value.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
