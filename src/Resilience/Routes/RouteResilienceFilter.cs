using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Polly;
using Polly.CircuitBreaker;
using Polly.RateLimiting;

namespace Messaging.Resilience.Routes;

/// <summary>
/// Runs a route's handler through its pipeline (bulkhead → breaker). While the breaker is open or the
/// bulkhead is full the route answers 503 problem+json with <c>Retry-After</c> without running the handler.
/// </summary>
internal sealed class RouteResilienceFilter(string name, ResiliencePipeline<object?> pipeline) : IEndpointFilter
{
    /// <summary>Carries the request to the breaker's predicate (to tell a request timeout from a client that left).</summary>
    public static readonly ResiliencePropertyKey<HttpContext> HttpContextKey = new("Messaging.HttpContext");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var resilienceContext = ResilienceContextPool.Shared.Get(context.HttpContext.RequestAborted);
        resilienceContext.Properties.Set(HttpContextKey, context.HttpContext);
        try
        {
            // The handler's own ValueTask goes to the pipeline as it is (no async wrapper, so no extra state machine per request).
            return await pipeline.ExecuteAsync(static (_, state) => state.next(state.context), resilienceContext, (context, next))
                .ConfigureAwait(false);
        }
        catch (BrokenCircuitException ex)
        {
            return Unavailable(context.HttpContext, ex.RetryAfter ?? TimeSpan.FromSeconds(5), "The service is temporarily unavailable.");
        }
        catch (RateLimiterRejectedException)
        {
            return Unavailable(context.HttpContext, TimeSpan.FromSeconds(1), "The service is busy.");
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilienceContext);
        }
    }

    /// <summary>Whether an outcome counts against the route's breaker: 5xx, timeouts and unhandled errors.</summary>
    public static bool IsFailure(ResilienceContext context, Outcome<object?> outcome)
    {
        if (outcome.Exception is { } exception)
        {
            if (exception is OperationCanceledException)
            {
                return context.Properties.TryGetValue(HttpContextKey, out var http)
                    && http.Features.Get<IHttpRequestTimeoutFeature>()?.RequestTimeoutToken.IsCancellationRequested == true;
            }

            return exception is not (BrokenCircuitException or RateLimiterRejectedException);
        }

        return outcome.Result is IStatusCodeHttpResult { StatusCode: >= 500 };
    }

    private IResult Unavailable(HttpContext httpContext, TimeSpan retryAfter, string title)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: title,
            type: "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
            extensions: new Dictionary<string, object?> { ["route"] = name });
    }
}
