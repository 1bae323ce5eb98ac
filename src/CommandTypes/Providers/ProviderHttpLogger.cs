using Microsoft.Extensions.Http.Logging;

namespace Messaging.CommandTypes.Providers;

/// <summary>
/// Replaces IHttpClientFactory's default request logging on the provider and token clients. The
/// default one redacts header values in its message text but still carries them raw in its
/// structured state, where a structured exporter would write out bearer tokens and API keys. This
/// one logs method, URL without query, status and duration, and never a header or a body.
/// </summary>
internal sealed partial class ProviderHttpLogger(ILogger<ProviderHttpLogger> logger) : IHttpClientLogger
{
    public object? LogRequestStart(HttpRequestMessage request) => null;

    public void LogRequestStop(object? context, HttpRequestMessage request, HttpResponseMessage response, TimeSpan elapsed) =>
        Log.RequestCompleted(logger, request.Method.Method, SafeUrl(request), (int)response.StatusCode, elapsed.TotalMilliseconds);

    public void LogRequestFailed(object? context, HttpRequestMessage request, HttpResponseMessage? response, Exception exception, TimeSpan elapsed) =>
        Log.RequestFailed(logger, request.Method.Method, SafeUrl(request), exception.GetType().Name, elapsed.TotalMilliseconds);

    private static string SafeUrl(HttpRequestMessage request) => request.RequestUri?.GetLeftPart(UriPartial.Path) ?? "";

    private static partial class Log
    {
        [LoggerMessage(EventId = 4110, EventName = "ProviderRequestCompleted", Level = LogLevel.Debug,
            Message = "HTTP {Method} {Url} answered {StatusCode} after {ElapsedMilliseconds} ms")]
        public static partial void RequestCompleted(ILogger logger, string method, string url, int statusCode, double elapsedMilliseconds);

        [LoggerMessage(EventId = 4111, EventName = "ProviderRequestFailed", Level = LogLevel.Debug,
            Message = "HTTP {Method} {Url} failed with {ExceptionType} after {ElapsedMilliseconds} ms")]
        public static partial void RequestFailed(ILogger logger, string method, string url, string exceptionType, double elapsedMilliseconds);
    }
}
