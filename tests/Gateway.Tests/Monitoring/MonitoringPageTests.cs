using System.Net;

namespace Messaging.Gateway.Tests.Monitoring;

public sealed class MonitoringPageTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    [Fact]
    public async Task Monitor_IsServedAnonymously_WithAPolicyThatAllowsNoInlineScript()
    {
        using var client = host.CreateClient();

        using var response = await client.GetAsync("/monitor", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("<script src=\"/monitor/monitor.js\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"login-form\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheScript_KeepsTheTokenOutOfStorage()
    {
        using var client = host.CreateClient();

        using var response = await client.GetAsync("/monitor/monitor.js", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        var script = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("/api/monitoring/overview", script, StringComparison.Ordinal);
        Assert.DoesNotContain("localStorage", script, StringComparison.Ordinal);
        Assert.DoesNotContain("sessionStorage", script, StringComparison.Ordinal);
        Assert.DoesNotContain("innerHTML", script, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownAsset_Is404()
    {
        using var client = host.CreateClient();

        using var response = await client.GetAsync("/monitor/nothing.js", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
