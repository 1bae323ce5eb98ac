using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;

namespace Messaging.Gateway.Tests.Commands;

/// <summary>
/// A gateway whose PostgreSQL is unreachable (nothing listens on 127.0.0.1:1), with the direct-publish
/// fallback turned off (<c>Commands:Fallback:DirectPublish=false</c>): the honest 503 when no second durable
/// path is allowed. The fallback itself is tested in <see cref="DirectPublishFallbackTests"/>.
/// </summary>
public sealed class UnreachableDatabaseFixture : IAsyncDisposable
{
    public UnreachableDatabaseFixture()
    {
        Factory = GatewayHost.CreateFactory(
            new Dictionary<string, string?>
            {
                ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=messaging;Username=messaging;Password=messaging;Timeout=2",
                ["Auth:SigningKeys:0"] = GatewayHost.TestSigningKey,
                ["Outbox:Relay:Enabled"] = "false",
                ["Commands:Fallback:DirectPublish"] = "false",
                // The postgres breaker this host opens is shared through Redis: keep it to this fixture.
                ["Redis:KeyPrefix"] = "t" + Guid.NewGuid().ToString("N")[..12] + ":",
            },
            builder => builder.ConfigureTestServices(services =>
            {
                // Without a database the schema cannot be applied; the API itself must cope.
                var migration = services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == "SchemaMigrationHostedService");
                services.Remove(migration);
            }));
    }

    internal WebApplicationFactory<Program> Factory { get; }

    public ValueTask DisposeAsync() => Factory.DisposeAsync();
}

public sealed class UnavailableDatabaseTests(UnreachableDatabaseFixture fixture) : IClassFixture<UnreachableDatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Requests => ["submit", "submit with key", "get", "list"];

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
