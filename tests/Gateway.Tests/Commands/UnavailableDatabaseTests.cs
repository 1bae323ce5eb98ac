using System.Net;

namespace Messaging.Gateway.Tests.Commands;

public sealed class UnavailableDatabaseTests(UnreachableDatabaseFixture fixture) : IClassFixture<UnreachableDatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Requests => ["submit", "submit with key", "get", "list", "cancel", "batch"];

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Request_WhenPostgresIsUnreachable_Returns503WithRetryAfterAndNoDetails(string kind)
    {
        using var client = TestTokens.ClientFor(fixture.Factory, "tenant-offline");
        using var request = kind switch
        {
            "submit" => CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge),
            "submit with key" => CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "offline-key"),
            "get" => new HttpRequestMessage(HttpMethod.Get, $"/api/commands/{Guid.NewGuid()}"),
            "cancel" => new HttpRequestMessage(HttpMethod.Post, $"/api/commands/{Guid.NewGuid()}/cancel"),
            "batch" => new HttpRequestMessage(HttpMethod.Post, "/api/commands/batch")
            {
                Content = new StringContent($$"""{"items":[{"type":"payments.charge","body":{{CommandRequestsFor.Charge}}}]}""",
                    System.Text.Encoding.UTF8, "application/json"),
            },
            _ => new HttpRequestMessage(HttpMethod.Get, "/api/commands?limit=5"),
        };

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        var body = await response.Content.ReadAsStringAsync(Ct);
        foreach (var leak in new[] { "127.0.0.1", "Npgsql", "Exception", "refused", "Password", "at Messaging" })
        {
            Assert.DoesNotContain(leak, body, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Submit_InvalidRequest_WhenPostgresIsUnreachable_IsStillRefusedAs4xx()
    {
        using var client = TestTokens.ClientFor(fixture.Factory, "tenant-offline");

        using var unknownType = await client.SendAsync(CommandRequestsFor.Post("payments.refund", CommandRequestsFor.Charge), Ct);
        using var invalid = await client.SendAsync(CommandRequestsFor.Post("payments.charge", """{"amount":0,"currency":"EUR","customerId":"c"}"""), Ct);

        Assert.Equal(HttpStatusCode.NotFound, unknownType.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }
}
