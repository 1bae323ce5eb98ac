using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Messaging.Gateway.Tests.Monitoring;

public sealed class MonitoringApiTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    private async Task<HttpClient> OperatorAsync() => await host.CreateOperatorClientAsync();

    [Fact]
    public async Task Overview_RequiresTheAdminScope()
    {
        using var anonymous = host.CreateClient();
        using var commandsOnly = await host.CreateClientAsync("tenant-ops", "commands");

        using var noToken = await anonymous.GetAsync("/api/monitoring/overview", TestContext.Current.CancellationToken);
        using var wrongScope = await commandsOnly.GetAsync("/api/monitoring/overview", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrongScope.StatusCode);
    }

    [Fact]
    public async Task Overview_ListsTheBreakers_AndTheOutboxLag()
    {
        using var admin = await OperatorAsync();

        var overview = await admin.GetFromJsonAsync<JsonElement>("/api/monitoring/overview", TestContext.Current.CancellationToken);

        var names = overview.GetProperty("breakers").EnumerateArray().Select(b => b.GetProperty("name").GetString()).ToList();
        Assert.Contains("postgres", names);
        Assert.Contains("route:commands", names);
        Assert.All(overview.GetProperty("breakers").EnumerateArray(), b =>
        {
            Assert.Contains(b.GetProperty("state").GetString(), new[] { "closed", "open", "half-open", "isolated" });
            Assert.True(b.GetProperty("since").GetDateTimeOffset() > DateTimeOffset.MinValue);
        });
        Assert.True(overview.GetProperty("outbox").GetProperty("pending").GetInt64() >= 0);
    }

    [Fact]
    public async Task IsolatingThePostgresBreaker_MakesTheTokenEndpointFailClosed_UntilReset()
    {
        using var admin = await OperatorAsync();
        var (clientId, secret) = await host.AddClientAsync("tenant-isolate", "commands");

        using var isolated = await admin.PostAsync("/api/monitoring/breakers/postgres/isolate", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, isolated.StatusCode);
        Assert.Equal("isolated", (await isolated.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("state").GetString());
        try
        {
            using var anonymous = host.CreateClient();
            using var refused = await anonymous.PostAsync("/api/auth/token", Form(clientId, secret), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("temporarily_unavailable", (await refused.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("error").GetString());

            var overview = await admin.GetFromJsonAsync<JsonElement>("/api/monitoring/overview", TestContext.Current.CancellationToken);
            Assert.Equal("isolated", overview.GetProperty("breakers").EnumerateArray().Single(b => b.GetProperty("name").GetString() == "postgres").GetProperty("state").GetString());
        }
        finally
        {
            using var reset = await admin.PostAsync("/api/monitoring/breakers/postgres/reset", null, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        }

        using var client = host.CreateClient();
        using var issued = await client.PostAsync("/api/auth/token", Form(clientId, secret), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
    }

    [Fact]
    public async Task ControllingAnUnknownBreaker_Is404()
    {
        using var admin = await OperatorAsync();

        using var response = await admin.PostAsync("/api/monitoring/breakers/no-such-breaker/isolate", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task TheMonitoringRoutesOwnBreaker_CannotBeIsolated_EvenByAnOperator()
    {
        using var admin = await OperatorAsync();
        await admin.GetAsync("/api/monitoring/overview", TestContext.Current.CancellationToken);

        using var response = await admin.PostAsync("/api/monitoring/breakers/route:monitoring/isolate", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    private static FormUrlEncodedContent Form(string clientId, string secret) => new(new Dictionary<string, string>
    {
        ["grant_type"] = "client_credentials",
        ["client_id"] = clientId,
        ["client_secret"] = secret,
    });
}
