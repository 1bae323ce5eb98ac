using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Testing;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests;

/// <summary>
/// Authentication fails closed while the credential store (PostgreSQL) is unreachable: the token
/// endpoint answers 503 temporarily_unavailable with Retry-After, never a token and never 401 for a
/// valid client, while access tokens already issued keep being accepted (they are validated locally).
/// A gateway of its own reaches PostgreSQL through a TCP proxy, so the outage touches no other test.
/// </summary>
public sealed class PostgresOutageTests(SystemFixture system)
{
    [Fact]
    public async Task WithPostgresUnreachable_TokenEndpointAnswers503_AndIssuedTokensStillAuthenticate()
    {
        await using var proxy = new TcpProxy(system.PostgresEndPoint());
        var (gateway, http) = await system.StartExtraGatewayAsync("gateway-pg-outage",
            env => env["ConnectionStrings__Postgres"] = system.PostgresConnectionStringVia(proxy.Port));
        await using var gatewayProcess = gateway;
        using var gatewayClient = http;
        var client = await system.AddClientAsync("tenant-pg-outage", "commands admin");

        using var first = await RequestTokenAsync(http, client);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var token = (await first.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("access_token").GetString()!;

        proxy.Cut();

        using var refused = await RequestTokenAsync(http, client);
        var refusedBody = await refused.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("temporarily_unavailable", refusedBody.GetProperty("error").GetString());
        Assert.False(refusedBody.TryGetProperty("access_token", out _));
        Assert.NotNull(refused.Headers.RetryAfter);

        // The issued token still authenticates: the answer is about the database, not about the caller.
        using var read = new HttpRequestMessage(HttpMethod.Get, $"api/commands/{Guid.NewGuid()}");
        read.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var readResponse = await http.SendAsync(read, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readResponse.StatusCode);
        Assert.Equal("application/problem+json", readResponse.Content.Headers.ContentType?.MediaType);

        using var overview = new HttpRequestMessage(HttpMethod.Get, "api/monitoring/overview");
        overview.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var overviewResponse = await http.SendAsync(overview, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, overviewResponse.StatusCode);

        // A submit while the outbox cannot be written takes the second durable path: RabbitMQ, confirmed
        // (the whole fallback chain is tested in Fallback/).
        using var submit = new HttpRequestMessage(HttpMethod.Post, "api/commands/payments.charge")
        {
            Content = new StringContent("""{"amount":3,"currency":"EUR","customerId":"cus_pg"}""", Encoding.UTF8, "application/json"),
        };
        submit.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var submitResponse = await http.SendAsync(submit, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, submitResponse.StatusCode);
        var accepted = await submitResponse.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("direct", accepted.GetProperty("acceptedVia").GetString());

        proxy.Restore();

        // Once the breaker lets a probe through, tokens are issued again.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            await Task.Delay(500, TestContext.Current.CancellationToken);
            using var again = await RequestTokenAsync(http, client);
            status = again.StatusCode;
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.OK, status);
    }

    private static Task<HttpResponseMessage> RequestTokenAsync(HttpClient http, ClientCredentials client) =>
        http.PostAsync("api/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = client.ClientId,
            ["client_secret"] = client.Secret,
        }), TestContext.Current.CancellationToken);
}
