namespace Messaging.Gateway.Auth;

/// <summary>Maps the auth API.</summary>
internal static class AuthEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>POST /api/auth/token</c> (anonymous: it is where credentials are checked). Returns the
    /// <c>/api/auth</c> group, so callers can add conventions such as a rate-limiting policy.
    /// </summary>
    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/auth").AllowAnonymous();
        group.MapPost("/token", (HttpContext context, ClientCredentialsTokenHandler handler) => handler.HandleAsync(context))
            .WithName("IssueAccessToken");
        return group;
    }
}
