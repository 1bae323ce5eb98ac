using System.Net;
using Messaging.Gateway.Clients;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Gateway.Tests.Auth;

/// <summary>
/// Clients whose secret is still stored as a PBKDF2 hash (from before peppers): they keep working, are re-hashed to
/// HMAC on their first successful use, and until then their checks are limited per client id
/// (<c>RateLimiting:LegacySecretChecks</c>, 5 a minute by default) so that they cannot serve as a CPU amplifier.
/// </summary>
public sealed class LegacySecretHashTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    private const int LegacyChecksPerMinute = 5;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Token_ForALegacyClient_Returns200_AndReHashesItsSecretToHmacUnderTheCurrentPepper()
    {
        var (clientId, secret) = await AddLegacyClientAsync("tenant-legacy");
        using var http = host.CreateClient();

        using var first = await TokenRequests.PostClientCredentialsAsync(http, clientId, secret);
        var rehashed = await StoredHashAsync(clientId);
        using var second = await TokenRequests.PostClientCredentialsAsync(http, clientId, secret);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.StartsWith($"hmac-sha256${GatewayHost.TestSecretPepperId}$", rehashed, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(rehashed, await StoredHashAsync(clientId));
    }

    [Fact]
    public async Task Token_ForALegacyClient_BeyondItsLegacyChecks_Is429WithoutCheckingTheSecret()
    {
        var (clientId, secret) = await AddLegacyClientAsync("tenant-legacy-flood");
        var legacyHash = await StoredHashAsync(clientId);
        using var http = host.CreateClient();

        var wrong = new List<HttpStatusCode>();
        for (var i = 0; i < LegacyChecksPerMinute; i++)
        {
            using var response = await TokenRequests.PostClientCredentialsAsync(http, clientId, ClientCredentials.NewSecret());
            wrong.Add(response.StatusCode);
        }

        using var right = await TokenRequests.PostClientCredentialsAsync(http, clientId, secret);

        Assert.All(wrong, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.True(right.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.StartsWith("\"legacy-secret-checks\";q=5;w=60", Assert.Single(right.Headers.GetValues("RateLimit-Policy")), StringComparison.Ordinal);

        // The right secret was not checked: had it been, the hash would have been replaced.
        Assert.Equal(legacyHash, await StoredHashAsync(clientId));
    }

    [Fact]
    public async Task Token_ForAnHmacClient_IsNotLimitedByTheLegacyChecks()
    {
        var (clientId, secret) = await host.AddClientAsync("tenant-hmac");
        using var http = host.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < LegacyChecksPerMinute * 2; i++)
        {
            using var response = await TokenRequests.PostClientCredentialsAsync(http, clientId, secret);
            statuses.Add(response.StatusCode);
        }

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
    }

    /// <summary>A client whose row holds a PBKDF2 hash of its secret, as the gateway stored them before peppers.</summary>
    private async Task<(string ClientId, string Secret)> AddLegacyClientAsync(string tenant)
    {
        var (clientId, secret) = await host.AddClientAsync(tenant);
        await LegacyHashes.StoreAsync(host.PostgresConnectionString, clientId, LegacyHashes.Pbkdf2(secret, iterations: 10_000));
        return (clientId, secret);
    }

    private async Task<string> StoredHashAsync(string clientId) =>
        (await host.Services.GetRequiredService<ClientStore>().FindAsync(clientId, Cancellation))!.SecretHash;
}
