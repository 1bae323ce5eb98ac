using System.Text.Json.Serialization;
using Microsoft.OpenApi;

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
        var group = endpoints.MapGroup("/api/auth").AllowAnonymous().WithTags("Auth");
        group.MapPost("/token", (HttpContext context, ClientCredentialsTokenHandler handler) => handler.HandleAsync(context))
            .WithName("IssueAccessToken")
            .WithSummary("An access token for a client's credentials (OAuth2 client credentials grant)")
            .AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
            {
                // Documented here, not declared with Accepts(): that would make routing refuse other media types with 415,
                // where the token endpoint answers 400 invalid_request (RFC 6749).
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
                    {
                        ["application/x-www-form-urlencoded"] = new()
                        {
                            Schema = await context.GetOrCreateSchemaAsync(typeof(TokenRequestForm), null, cancellationToken).ConfigureAwait(false),
                        },
                    },
                };
            })
            .Produces<IssuedTokenResponse>(StatusCodes.Status200OK)
            .Produces<OAuthError>(StatusCodes.Status400BadRequest)
            .Produces<OAuthError>(StatusCodes.Status401Unauthorized)
            .Produces<OAuthError>(StatusCodes.Status503ServiceUnavailable);
        return group;
    }
}

/// <summary>
/// The form of <c>POST /api/auth/token</c>, for the OpenAPI document only (the handler reads the form itself): the
/// client may authenticate with HTTP Basic instead of <c>client_id</c> and <c>client_secret</c>.
/// </summary>
internal sealed record TokenRequestForm(
    [property: JsonPropertyName("grant_type")] string GrantType,
    [property: JsonPropertyName("client_id")] string? ClientId,
    [property: JsonPropertyName("client_secret")] string? ClientSecret,
    [property: JsonPropertyName("scope")] string? Scope);
