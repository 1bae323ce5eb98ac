using System.Text;
using Messaging.FakeServices.Instances;
using Messaging.FakeServices.Providers;
using Microsoft.AspNetCore.Http.Features;

namespace Messaging.FakeServices.Crm;

/// <summary>
/// Runs around <see cref="ProviderRequestFilter"/> on the CRM routes, for requests to a CRM instance:
/// reads the body, the raw path and the credentials before any fault, and once the answer is decided
/// (faulted or not) records the request if its credentials were right. Requests to other instances
/// pass through untouched (the provider filter answers 404).
/// </summary>
internal sealed class CrmRequestFilter : IEndpointFilter
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var services = http.RequestServices;
        if (!services.GetRequiredService<InstanceDirectory>().TryResolve(http, out var instance) || instance.Provider != ProviderKind.Crm)
        {
            return await next(context).ConfigureAwait(false);
        }

        var receivedAt = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var authenticator = services.GetRequiredService<CrmAuthenticator>();
        var backend = services.GetRequiredService<CrmBackend>();
        string body;
        try
        {
            using var reader = new StreamReader(http.Request.Body, Utf8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
            body = await reader.ReadToEndAsync(http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && http.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty;
        }

        var (rawPath, rawQuery) = RawTarget(http);
        var mode = authenticator.Mode;
        var request = new CrmRequest(mode, authenticator.IsAuthorized(http.Request, mode), ContactId(http, rawPath), body);
        http.Features.Set(request);
        var sequence = request.Authorized ? backend.NextSequence() : 0;

        var result = await next(context).ConfigureAwait(false);

        if (request.Authorized && http.Features.Get<ProviderCall>() is { } call)
        {
            backend.Record(new CrmRecordedRequest(sequence, instance.Name, http.Request.Method, rawPath, rawQuery, request.ContactId,
                Headers(http.Request), body, call.Status, call.Fault, call.FaultAfterEffect, call.Replayed, receivedAt));
        }

        return result;
    }

    /// <summary>
    /// The request target as received (Kestrel's <c>RawTarget</c>), split into path and query. An in-memory
    /// test server may not set it; then the path is escaped back from the decoded one.
    /// </summary>
    internal static (string Path, string? Query) RawTarget(HttpContext http)
    {
        var target = http.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target) || target[0] != '/')
        {
            var query = http.Request.QueryString.HasValue ? http.Request.QueryString.Value![1..] : null;
            return ((http.Request.PathBase + http.Request.Path).ToUriComponent(), query);
        }

        var mark = target.IndexOf('?', StringComparison.Ordinal);
        return mark < 0 ? (target, null) : (target[..mark], target[(mark + 1)..]);
    }

    /// <summary>
    /// The contact id: the fourth segment of the raw path (<c>/v1/contacts/{contactId}[/notes]</c>), fully
    /// unescaped, so <c>%2F</c> becomes <c>/</c> and <c>%252F</c> becomes <c>%2F</c>. The route value cannot
    /// give this: ASP.NET Core leaves <c>%2F</c> escaped in it but decodes <c>%25</c>.
    /// </summary>
    private static string ContactId(HttpContext http, string rawPath)
    {
        var raw = rawPath.Split('/');
        var routed = http.Request.Path.Value?.Split('/') ?? [];
        if (raw.Length == routed.Length && raw.Length >= 4)
        {
            return Uri.UnescapeDataString(raw[3]);
        }

        // The server normalised the path (dot segments): fall back to the route value.
        return Uri.UnescapeDataString(http.GetRouteValue("contactId") as string ?? string.Empty);
    }

    private static CrmRecordedHeaders Headers(HttpRequest request)
    {
        var headers = request.Headers;
        string? schemes = null;
        if (headers.Authorization.Count > 0)
        {
            schemes = string.Join(", ", headers.Authorization.Select(static value =>
            {
                // A value of one token has no scheme: it may be a bare secret, so nothing of it is kept.
                var text = (value ?? string.Empty).Trim();
                var space = text.IndexOf(' ', StringComparison.Ordinal);
                return space < 0 ? string.Empty : text[..space];
            }));
        }

        return new CrmRecordedHeaders(
            Joined(headers.ContentType),
            Joined(headers[ProviderHeaders.IdempotencyKey]),
            Joined(headers.TraceParent),
            schemes,
            headers.ContainsKey(CrmAuthenticator.ApiKeyHeader));
    }

    private static string? Joined(Microsoft.Extensions.Primitives.StringValues values) => values.Count == 0 ? null : string.Join(", ", values.ToArray());
}
