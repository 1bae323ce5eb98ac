using System.Net;
using System.Net.Http.Headers;
using Messaging.Gateway.Clients;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;

namespace Messaging.Gateway.Tests.Auth;

/// <summary>The gateway with its PostgreSQL unreachable (a closed port): authentication fails closed.</summary>
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
    public async Task Probe_WhenTheCredentialStoreIsUnreachable_StillAcceptsIssuedTokens()
    {
        var token = await host.GetTokenAsync("acme", "commands");
        await using var factory = StoreDownFactory();
        using var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await http.GetAsync(AuthProbeHost.CommandsProbe, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
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

        // The schema migration at start would wait for PostgreSQL; this host must start without it.
        builder.ConfigureTestServices(services =>
        {
            var migration = services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == "SchemaMigrationHostedService");
            services.Remove(migration);
        });
    });
}
