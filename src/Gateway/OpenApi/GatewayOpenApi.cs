using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;

namespace Messaging.Gateway.OpenApi;

/// <summary>
/// <c>GET /openapi/v1.json</c>: the gateway's OpenAPI 3.1 document (Microsoft.AspNetCore.OpenApi), anonymous like
/// <c>/health</c> (docs/security.md). Each route declares the answers of its own handler; the answers of the door
/// (401 and 403 where a scope is required, 429 where a rate limit applies, 503 where route resilience applies) are
/// derived from the endpoint's metadata by <see cref="DoorResponsesTransformer"/>; <see cref="CommandOperationsTransformer"/>
/// turns <c>POST /api/commands/{type}</c> into one operation per accepted command type; <see cref="CompletionCallbacksTransformer"/>
/// adds the completion callback's states and its webhook.
/// </summary>
internal static class GatewayOpenApi
{
    public const string DocumentName = "v1";

    /// <summary>The OAuth2 client credentials scheme; its scopes are the authorization policies.</summary>
    public const string SecuritySchemeName = "oauth2";

    public const string ProblemJson = "application/problem+json";

    public static WebApplicationBuilder AddGatewayOpenApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(DocumentName, options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Messaging gateway",
                    Version = DocumentName,
                    Description = "Commands sent over HTTP, stored durably and executed against external providers. "
                        + "Errors are RFC 9457 problem details (application/problem+json) with a traceId.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
                document.Components.SecuritySchemes[SecuritySchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.OAuth2,
                    Description = "Client credentials at POST /api/auth/token; send the access token as Authorization: Bearer.",
                    Flows = new OpenApiOAuthFlows
                    {
                        ClientCredentials = new OpenApiOAuthFlow
                        {
                            TokenUrl = new Uri("/api/auth/token", UriKind.Relative),
                            Scopes = new Dictionary<string, string>(StringComparer.Ordinal)
                            {
                                [GatewayClaims.CommandsScope] = "Submit, read and redrive the own tenant's commands; list the command types.",
                                [GatewayClaims.AdminScope] = "The own tenant's dead letters, redrives, audit records and share of the monitoring overview.",
                                [GatewayClaims.OperatorScope] = "The fleet: every tenant's dead letters and audit records, redrives across tenants, breaker isolate/reset. "
                                    + "Granted only to clients of the operator tenant.",
                            },
                        },
                    },
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer<DoorResponsesTransformer>();
            options.AddDocumentTransformer<CommandOperationsTransformer>();
            options.AddDocumentTransformer<CompletionCallbacksTransformer>();
            options.AddSchemaTransformer<CompletionCallbacksTransformer>();
        });
        return builder;
    }

    /// <summary>Maps <c>/openapi/v1.json</c>, anonymous (it holds the contract, no tenant data and no settings).</summary>
    public static IEndpointConventionBuilder MapGatewayOpenApi(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapOpenApi().AllowAnonymous();

    /// <summary>Adds a problem+json answer to <paramref name="operation"/>, or the problem+json content to the answer it has for that status.</summary>
    public static OpenApiResponse AddProblem(OpenApiOperation operation, OpenApiDocument? document, int status, string description)
    {
        operation.Responses ??= [];
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!operation.Responses.TryGetValue(key, out var existing) || existing is not OpenApiResponse response)
        {
            response = new OpenApiResponse { Description = description };
            operation.Responses[key] = response;
        }

        response.Content ??= new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal);
        response.Content.TryAdd(ProblemJson, new OpenApiMediaType { Schema = new OpenApiSchemaReference(nameof(ProblemDetails), document) });
        return response;
    }

    /// <summary>A response header of type string, or integer when <paramref name="integer"/>.</summary>
    public static OpenApiHeader Header(string description, bool integer = false) => new()
    {
        Description = description,
        Schema = new OpenApiSchema { Type = integer ? JsonSchemaType.Integer : JsonSchemaType.String },
    };
}

/// <summary>
/// The answers of the door, from the endpoint's metadata: a required scope (authorization policy) gives the OAuth2
/// security requirement and 401/403; a rate limit (every route that does not disable it) gives 429 with its headers;
/// route resilience (a request timeout policy) gives 503 with <c>Retry-After</c>.
/// </summary>
internal sealed class DoorResponsesTransformer : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document;
        if (document is not null)
        {
            // The shared problem schema, once (the routes that declare their own problems add it too).
            document.AddComponent(nameof(ProblemDetails), await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, cancellationToken).ConfigureAwait(false));
        }

        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var scopes = metadata.OfType<Microsoft.AspNetCore.Authorization.IAuthorizeData>()
            .Select(a => a.Policy).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (scopes.Count > 0 && !metadata.OfType<Microsoft.AspNetCore.Authorization.IAllowAnonymous>().Any())
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(GatewayOpenApi.SecuritySchemeName, document)] = scopes }];
            GatewayOpenApi.AddProblem(operation, document, StatusCodes.Status401Unauthorized,
                "No access token, or one that is not valid (WWW-Authenticate: Bearer).");
            GatewayOpenApi.AddProblem(operation, document, StatusCodes.Status403Forbidden,
                $"The access token lacks the scope {string.Join(" or ", scopes)}.");
        }

        if (!metadata.OfType<DisableRateLimitingAttribute>().Any())
        {
            var tooMany = GatewayOpenApi.AddProblem(operation, document, StatusCodes.Status429TooManyRequests,
                "A rate limit is exhausted (per client IP, per tenant, or failed secrets per client); nothing was done.");
            tooMany.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
            tooMany.Headers.TryAdd("Retry-After", GatewayOpenApi.Header("Seconds to wait before retrying.", integer: true));
            tooMany.Headers.TryAdd("RateLimit-Policy", GatewayOpenApi.Header("The limit: \"<policy>\";q=<permits>;w=<window seconds>."));
            tooMany.Headers.TryAdd("RateLimit", GatewayOpenApi.Header("What is left: \"<policy>\";r=<remaining>;t=<seconds until full>."));
        }

        if (metadata.OfType<RequestTimeoutAttribute>().Any())
        {
            var unavailable = GatewayOpenApi.AddProblem(operation, document, StatusCodes.Status503ServiceUnavailable,
                "The service cannot answer now (a dependency is down, the route's bulkhead is full, its breaker is open, or it timed out).");
            unavailable.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
            unavailable.Headers.TryAdd("Retry-After", GatewayOpenApi.Header("Seconds to wait before retrying.", integer: true));
        }
    }
}
