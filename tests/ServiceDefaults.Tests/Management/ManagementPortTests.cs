using System.Net;
using System.Net.Sockets;

namespace Messaging.ServiceDefaults.Tests.Management;

/// <summary>With Management:Urls, /health/* and /metrics are served on the management port only, through real Kestrel.</summary>
public sealed class ManagementPortTests
{
    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/metrics")]
    public async Task Endpoint_WithManagementUrls_Is404OnThePublicPortAnd200OnTheManagementPort(string path)
    {
        var managementPort = FreePort();
        await using var app = await TestApplication.StartAsync(new Dictionary<string, string?> { ["Management:Urls"] = $"http://127.0.0.1:{managementPort}" });
        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{managementPort}") };

        var onPublic = await app.Client.GetAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken);
        var onManagement = await management.GetAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, onPublic.StatusCode);
        Assert.Equal(HttpStatusCode.OK, onManagement.StatusCode);
    }

    [Fact]
    public async Task Endpoint_WithManagementUrls_OnThePublicPortWithTheManagementPortAsHost_Is404()
    {
        // RequireHost("*:port") would match this: the Host header is the caller's to choose, the local port is not.
        var managementPort = FreePort();
        await using var app = await TestApplication.StartAsync(new Dictionary<string, string?> { ["Management:Urls"] = $"http://127.0.0.1:{managementPort}" });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/health/ready", UriKind.Relative));
        request.Headers.Host = $"127.0.0.1:{managementPort}";

        var response = await app.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Endpoint_WithoutManagementUrls_IsServedOnThePublicPort()
    {
        await using var app = await TestApplication.StartAsync();

        var response = await app.Client.GetAsync(new Uri("/metrics", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Start_WithAManagementUrlWithoutAUsablePort_FailsNamingTheKey()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestApplication.StartAsync(
            new Dictionary<string, string?> { ["Management:Urls"] = "http://127.0.0.1:0" }));

        Assert.Contains("Management:Urls", ex.Message, StringComparison.Ordinal);
    }

    // Kestrel needs an explicit port for the management listener (routing compares it with the connection's local port).
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
