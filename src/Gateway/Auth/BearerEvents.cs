using System.Diagnostics;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Mvc;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Messaging.Gateway.Auth;

/// <summary>
/// The gateway's JwtBearer events: a token of a revoked client, or issued before its client's
/// <c>tokens_valid_after</c>, is refused (<see cref="RevokedClients"/>); challenges (401) and forbids (403) are
/// problem+json with the same body whatever made a token unacceptable (missing, expired, bad signature, malformed,
/// revoked): the reason is never told. One instance for the process (<c>JwtBearerOptions.EventsType</c>).
/// </summary>
internal sealed class BearerEvents(RevokedClients revoked) : JwtBearerEvents
{
    /// <summary>The realm in <c>WWW-Authenticate</c>.</summary>
    public const string Realm = "messaging";

    public override Task TokenValidated(TokenValidatedContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var clientId = context.Principal is { } user ? GatewayClaims.FirstValue(user, GatewayClaims.ClientId) : null;
        var issuedAt = context.SecurityToken is JsonWebToken token ? token.IssuedAt : DateTime.MinValue;
        if (clientId is null || revoked.Refuses(clientId, issuedAt))
        {
            context.Fail("The token's client is revoked or the token was issued before its client's tokens_valid_after.");
        }

        return Task.CompletedTask;
    }

    public override Task Challenge(JwtBearerChallengeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

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

    public override Task Forbidden(ForbiddenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
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
