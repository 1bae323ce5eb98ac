namespace Messaging.Gateway.Monitoring;

/// <summary>
/// <c>GET /monitor</c>: the page operators keep open. Plain HTML, CSS and JavaScript embedded in the assembly (no
/// build step), served anonymously: the page only holds a login form, and every figure it shows comes from the
/// monitoring API with the token it obtains (kept in memory, never in storage): the fleet and breaker control for an
/// operator's token, the tenant's share and audit records for a tenant admin's. The Content-Security-Policy
/// allows scripts and styles from this origin only (no inline script), and connections to this origin only.
/// </summary>
internal static class MonitoringPage
{
    /// <summary>The page's policy: nothing inline, nothing from elsewhere, no framing.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private static readonly Dictionary<string, (string ContentType, byte[] Content)> Assets = Load();

    /// <summary>Maps <c>/monitor</c>, <c>/monitor/monitor.js</c> and <c>/monitor/monitor.css</c>.</summary>
    public static IEndpointRouteBuilder MapMonitoringPage(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/monitor", (HttpContext context) => Serve(context, "monitor.html")).AllowAnonymous().ExcludeFromDescription().WithName("MonitorPage");
        endpoints.MapGet("/monitor/{file}", (string file, HttpContext context) => Serve(context, file)).AllowAnonymous().ExcludeFromDescription();
        return endpoints;
    }

    private static IResult Serve(HttpContext context, string file)
    {
        if (!Assets.TryGetValue(file, out var asset))
        {
            return TypedResults.NotFound();
        }

        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers.CacheControl = "no-store";
        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }

    private static Dictionary<string, (string ContentType, byte[] Content)> Load()
    {
        var assembly = typeof(MonitoringPage).Assembly;
        var assets = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("monitor/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var file = name["monitor/".Length..];
            var contentType = Path.GetExtension(file) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                _ => "application/octet-stream",
            };
            assets[file] = (contentType, buffer.ToArray());
        }

        return assets;
    }
}
