using System.Net;
using Messaging.Gateway.Clients;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;

namespace Messaging.Gateway.Tests.Auth;

/// <summary>
/// The gateway with its PostgreSQL unreachable (a closed port): the token endpoint fails closed. (Bearer tokens while
/// PostgreSQL is down: <see cref="RevocationTests"/>.)
/// </summary>
public sealed class CredentialStoreUnavailableTests(AuthProbeHost host) : IClassFixture<AuthProbeHost>
{
    private const string UnreachablePostgres = "Host=127.0.0.1;Port=1;Database=messaging;Username=messaging;Password=messaging;Timeout=2";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Token_WhenTheCredentialStoreIsUnreachable_Returns503TemporarilyUnavailableWithRetryAfter()
    {
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");
        await using var factory = StoreDownFactory();
        using var http = factory.CreateClient();

        using var form = await TokenRequests.PostClientCredentialsAsync(http, clientId, secret);
        using var basic = await TokenRequests.PostFormAsync(http, [new("grant_type", "client_credentials")], TokenRequests.Basic(clientId, secret));

        foreach (var response in new[] { form, basic })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("temporarily_unavailable", (await TokenRequests.ReadJsonAsync(response)).GetString("error"));
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            Assert.True(response.Headers.CacheControl?.NoStore);
            var body = await response.Content.ReadAsStringAsync(Cancellation);
            Assert.DoesNotContain("access_token", body, StringComparison.Ordinal);
            Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Token_ForAMalformedClientId_Is401AtOnce_WithoutConsultingTheStore()
    {
        await using var factory = StoreDownFactory();
        using var http = factory.CreateClient();

        // A well-formed id is looked up, so with the store down it gets 503; a malformed one never reaches the store.
        using var wellFormed = await TokenRequests.PostClientCredentialsAsync(http, ClientCredentials.NewClientId(), "secret");
        using var malformed = await TokenRequests.PostClientCredentialsAsync(http, "cli_not-one-of-ours", "secret");
        using var malformedBasic = await TokenRequests.PostFormAsync(http, [new("grant_type", "client_credentials")], TokenRequests.Basic("admin", "secret"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, wellFormed.StatusCode);
        foreach (var response in new[] { malformed, malformedBasic })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("invalid_client", (await TokenRequests.ReadJsonAsync(response)).GetString("error"));
            Assert.Equal("Basic realm=\"messaging\"", response.Headers.WwwAuthenticate.ToString());
        }
    }

    private WebApplicationFactory<Program> StoreDownFactory() => host.Factory.WithWebHostBuilder(builder =>
    {
        builder.UseSetting("ConnectionStrings:Postgres", UnreachablePostgres);

        // The schema migration and the first read of the revoked clients would wait for PostgreSQL; this host must start without them.
        builder.ConfigureTestServices(GatewayHost.RemoveStartupDatabaseReads);
    });
}
