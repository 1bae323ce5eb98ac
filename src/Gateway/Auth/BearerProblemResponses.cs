using System.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Messaging.Gateway.Auth;

/// <summary>
/// The bearer scheme's challenges (401) and forbids (403) as problem+json responses. The body is the same
/// whatever made a token unacceptable (missing, expired, bad signature, malformed): the reason is never told.
/// </summary>
internal static class BearerProblemResponses
{
    /// <summary>The realm in <c>WWW-Authenticate</c>.</summary>
    public const string Realm = "messaging";

    /// <summary>
    /// 401 with <c>WWW-Authenticate: Bearer realm="messaging"</c>, plus <c>error="invalid_token"</c> when the request
    /// carried a token that was refused (RFC 6750 3.1: no error code when it carried none).
    /// </summary>
    public static Task ChallengeAsync(HttpContext httpContext, bool tokenRefused)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (httpContext.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        httpContext.Response.Headers.WWWAuthenticate = tokenRefused
            ? $"Bearer realm=\"{Realm}\", error=\"invalid_token\""
            : $"Bearer realm=\"{Realm}\"";
        return WriteProblemAsync(httpContext, StatusCodes.Status401Unauthorized);
    }

    /// <summary>403 with <c>WWW-Authenticate: Bearer realm="messaging", error="insufficient_scope"</c>.</summary>
    public static Task ForbiddenAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (httpContext.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        httpContext.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{Realm}\", error=\"insufficient_scope\"";
        return WriteProblemAsync(httpContext, StatusCodes.Status403Forbidden);
    }

    private static Task WriteProblemAsync(HttpContext httpContext, int status)
    {
        var problem = new ProblemDetails { Status = status };
        problem.Extensions["traceId"] = Activity.Current?.Id ?? httpContext.TraceIdentifier;
        return TypedResults.Problem(problem).ExecuteAsync(httpContext);
    }
}
