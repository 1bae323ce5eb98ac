using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

/// <summary>RFC 9457 problem details shared by every host.</summary>
public static class ProblemDetailsExtensions
{
    private const string ServerErrorType = "https://tools.ietf.org/html/rfc9110#section-15.6.1";
    private const string ServerErrorTitle = "An error occurred while processing your request.";

    /// <summary>
    /// Adds <c>AddProblemDetails</c> with a customizer that puts <c>traceId</c> (the W3C trace id of the
    /// request) on every problem and strips exception details: for a problem written because of an exception
    /// the title, type and detail become the generic 500 text and the developer exception page's
    /// <c>exception</c> member is removed, in every environment. A request whose <c>Accept</c> excludes JSON still gets
    /// its problem as <c>application/problem+json</c> (<see cref="ProblemJsonFallbackWriter"/>), never the framework's
    /// <c>text/plain</c> fallback.
    /// </summary>
    public static TBuilder AddDefaultProblemDetails<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = Customize);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IProblemDetailsWriter, ProblemJsonFallbackWriter>());
        return builder;
    }

    internal static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Extensions.Remove("exception");
        if (context.Exception is not null)
        {
            problem.Type = ServerErrorType;
            problem.Title = ServerErrorTitle;
            problem.Detail = null;
        }

        problem.Extensions["traceId"] = Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier;
    }
}
