using System.Diagnostics;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Mvc;

namespace Messaging.Gateway.Auth;

/// <summary>
/// Turns bearer challenges (401) and forbids (403) into problem+json responses. The body is the same
/// whatever made a token unacceptable (missing, expired, bad signature, malformed): the reason is never told.
/// </summary>
internal static class BearerProblemEvents
{
    /// <summary>The realm in <c>WWW-Authenticate</c>.</summary>
    public const string Realm = "messaging";

    public static JwtBearerEvents Create() => new()
    {
        OnChallenge = ChallengeAsync,
        OnForbidden = ForbiddenAsync,
    };

    private static Task ChallengeAsync(JwtBearerChallengeContext context)
    {
        // Replaces the default challenge, whose error_description says why the token failed.
        context.HandleResponse();
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        // RFC 6750 3.1: no error code when the request carried no token.
        context.Response.Headers.WWWAuthenticate = context.AuthenticateFailure is null
            ? $"Bearer realm=\"{Realm}\""
            : $"Bearer realm=\"{Realm}\", error=\"invalid_token\"";
        return WriteProblemAsync(context.HttpContext, StatusCodes.Status401Unauthorized);
    }

    private static Task ForbiddenAsync(ForbiddenContext context)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{Realm}\", error=\"insufficient_scope\"";
        return WriteProblemAsync(context.HttpContext, StatusCodes.Status403Forbidden);
    }

    private static Task WriteProblemAsync(HttpContext httpContext, int status)
    {
        var problem = new ProblemDetails { Status = status };
        problem.Extensions["traceId"] = Activity.Current?.Id ?? httpContext.TraceIdentifier;
        return TypedResults.Problem(problem).ExecuteAsync(httpContext);
    }
}
