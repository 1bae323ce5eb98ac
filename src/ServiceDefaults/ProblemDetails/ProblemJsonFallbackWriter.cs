using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Writes a problem as <c>application/problem+json</c> when the framework's writer declines because the request's
/// <c>Accept</c> excludes JSON (<c>text/html;q=1, application/json;q=0</c>). Without it the framework falls back to a
/// <c>text/plain</c> "Status Code: 400" for the problems it raises itself (a body or a query value that does not bind),
/// which no client of this API can read as an error. JSON is the only representation the API has, and RFC 9110
/// (12.1) lets a server send it rather than answer 406. Registered after the framework's writer, so it is used only
/// when that one declines.
/// </summary>
internal sealed class ProblemJsonFallbackWriter(IOptions<ProblemDetailsOptions> problemOptions, IOptions<JsonOptions> jsonOptions) : IProblemDetailsWriter
{
    private const string ProblemJson = "application/problem+json";

    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.HttpContext.Response;
        var problem = context.ProblemDetails;
        problem.Status ??= response.StatusCode;
        problem.Title ??= ReasonPhrases.GetReasonPhrase(problem.Status.Value) is { Length: > 0 } phrase ? phrase : null;
        problemOptions.Value.CustomizeProblemDetails?.Invoke(context);
        var typeInfo = jsonOptions.Value.SerializerOptions.GetTypeInfo(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails));
        return new ValueTask(response.WriteAsJsonAsync(problem, typeInfo, ProblemJson, context.HttpContext.RequestAborted));
    }
}
