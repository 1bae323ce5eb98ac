using System.Net;
using System.Text.Json;
using Messaging.Testing;
using Microsoft.Extensions.Hosting;

namespace Messaging.ServiceDefaults.Tests;

public sealed class HealthEndpointsTests(ServicesFixture services) : IClassFixture<ServicesFixture>
{
    private const string UnreachablePostgres = "Host=127.0.0.1;Port=1;Database=messaging;Username=messaging;Password=hunter2-pg;Timeout=2";
    private const string UnreachableRedis = "127.0.0.1:1,password=hunter2-redis,connectTimeout=500";

    [Fact]
    public async Task Live_WithoutDependencies_Returns200AndSelfHealthy()
    {
        await using var app = await TestApplication.StartAsync();

        var response = await app.Client.GetAsync(new Uri("/health/live", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        var self = Assert.Single(body.GetProperty("checks").EnumerateArray());
        Assert.Equal("self", self.GetProperty("name").GetString());
        Assert.True(self.GetProperty("durationMs").GetDouble() >= 0);
    }

    [Fact]
    public async Task Live_WithUnreachableDependencies_StillReturns200()
    {
        await using var app = await TestApplication.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = UnreachablePostgres,
            ["ConnectionStrings:Redis"] = UnreachableRedis,
        });

        var response = await app.Client.GetAsync(new Uri("/health/live", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Ready_WithReachableServices_ReportsPostgresAndRedisHealthy()
    {
        await using var app = await TestApplication.StartAsync(services.HostConfiguration());

        var response = await app.Client.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken);

        var body = await ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        var checks = Checks(body);
        Assert.Equal("Healthy", checks["postgres"].GetProperty("status").GetString());
        Assert.Equal("PostgreSQL answered.", checks["postgres"].GetProperty("description").GetString());
        Assert.Equal("Healthy", checks["redis"].GetProperty("status").GetString());
        Assert.False(checks.ContainsKey("self"), "the liveness check does not belong on /health/ready");
    }

    [Fact]
    public async Task Ready_WithUnreachablePostgres_Returns503WithoutConnectionDetails()
    {
        await using var app = await TestApplication.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = UnreachablePostgres,
            ["ConnectionStrings:Redis"] = UnreachableRedis,
        });

        var response = await app.Client.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal("Unhealthy", body.GetProperty("status").GetString());
        var checks = Checks(body);
        Assert.Equal("Unhealthy", checks["postgres"].GetProperty("status").GetString());
        Assert.Equal("PostgreSQL is not reachable.", checks["postgres"].GetProperty("description").GetString());
        // Without Redis the hosts fall back to local rate limits: degraded, not down.
        Assert.Equal("Degraded", checks["redis"].GetProperty("status").GetString());
        foreach (var leak in new[] { "hunter2", "Password", "Host=", "127.0.0.1", "Port", "Exception", "refused" })
        {
            Assert.DoesNotContain(leak, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Ready_WithHealthChecksRegisteredTwice_ReportsEachDependencyOnce()
    {
        await using var app = await TestApplication.StartAsync(
            services.HostConfiguration(),
            configureBuilder: builder => builder.AddPostgresHealthCheck().AddRedisHealthCheck());

        var response = await app.Client.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken);

        var names = (await ReadJsonAsync(response)).GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Equal(["postgres", "redis"], names.Order().ToList());
    }

    private static Dictionary<string, JsonElement> Checks(JsonElement body) =>
        body.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c);

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
