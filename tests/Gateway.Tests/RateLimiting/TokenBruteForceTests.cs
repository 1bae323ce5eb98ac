using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Messaging.Gateway.Clients;

namespace Messaging.Gateway.Tests.RateLimiting;

public sealed class TokenBruteForceTests(TokenBruteForceFixture gateway) : IClassFixture<TokenBruteForceFixture>
{
    private static int _addresses;

    // A distinct /64 per request: the attacker never hits a per-IP limit.
    private static string NextAddress() => $"2001:db8:{Interlocked.Increment(ref _addresses):x}:1::1";

    private static FormUrlEncodedContent Form(string clientId, string secret) => new(new Dictionary<string, string>
    {
        ["grant_type"] = "client_credentials",
        ["client_id"] = clientId,
        ["client_secret"] = secret,
    });

    // Concurrent guesses, all from one address (null: a new address each).
    private async Task<List<Answer>> GuessAsync(string clientId, int attempts, string? address = null)
    {
        using var http = gateway.CreateClient();
        var answers = new ConcurrentBag<Answer>();
        await Parallel.ForEachAsync(Enumerable.Range(0, attempts), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = TestContext.Current.CancellationToken }, async (i, ct) =>
        {
            using var request = RateLimitedGateway.From(address ?? NextAddress(), HttpMethod.Post, "/api/auth/token", Form(clientId, "wrong-secret-" + i));
            using var response = await http.SendAsync(request, ct);
            answers.Add(await Answer.ReadAsync(response, ct));
        });
        return [.. answers];
    }

    [Fact]
    public async Task BadSecrets_FromOneAddress_AreCheckedAtMostTheBound_AndLookTheSameForUnknownClients()
    {
        var (clientId, secret) = await gateway.AddClientAsync("tenant-brute");
        var address = NextAddress();

        var existing = await GuessAsync(clientId, 15, address);
        var unknown = await GuessAsync(ClientCredentials.NewClientId(), 15, NextAddress());

        // A 401 is only ever answered after the secret was hashed and compared: that is the number of checks.
        var checks = existing.Count(a => a.Status == HttpStatusCode.Unauthorized);
        Assert.Equal(TokenBruteForceFixture.FailedSecretBound, checks);
        Assert.Equal(15 - checks, existing.Count(a => a.Status == HttpStatusCode.TooManyRequests));

        // Same statuses, same bodies (trace ids aside), same headers, existing client or not.
        Assert.Equal(checks, unknown.Count(a => a.Status == HttpStatusCode.Unauthorized));
        foreach (var status in new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests })
        {
            var forExisting = existing.Where(a => a.Status == status).Select(a => a.Shape).Distinct().ToList();
            var forUnknown = unknown.Where(a => a.Status == status).Select(a => a.Shape).Distinct().ToList();
            Assert.Single(forExisting);
            Assert.Equal(forExisting, forUnknown);
        }

        // The right secret from that address during the cool-down is refused like the rest: nothing says it was right.
        using var http = gateway.CreateClient();
        using var request = RateLimitedGateway.From(address, HttpMethod.Post, "/api/auth/token", Form(clientId, secret));
        using var during = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.TooManyRequests, during.StatusCode);
    }

    [Fact]
    public async Task BadSecrets_FromOneAddress_DoNotLockTheClientOutFromAnother()
    {
        var (clientId, secret) = await gateway.AddClientAsync("tenant-stranger");

        var guesses = await GuessAsync(clientId, 14, NextAddress());

        Assert.Equal(14 - TokenBruteForceFixture.FailedSecretBound, guesses.Count(a => a.Status == HttpStatusCode.TooManyRequests));
        using var http = gateway.CreateClient();
        using var request = RateLimitedGateway.From(NextAddress(), HttpMethod.Post, "/api/auth/token", Form(clientId, secret));
        using var fromElsewhere = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, fromElsewhere.StatusCode);
    }

    [Fact]
    public async Task MalformedClientIds_AreRefusedWithoutSpendingTheFailedSecretLimit()
    {
        var address = NextAddress();

        // Twice the bound from one address (still under its per-IP limit of 20): all 401, none 429, since a malformed
        // id is answered before the limiter is asked; and with the body of any other invalid_client answer.
        var malformed = await GuessAsync("no-such-client", TokenBruteForceFixture.FailedSecretBound + 5, address);
        var unknown = await GuessAsync(ClientCredentials.NewClientId(), 1, NextAddress());

        Assert.All(malformed, a => Assert.Equal(HttpStatusCode.Unauthorized, a.Status));
        Assert.Equal(unknown.Single().Shape, malformed.Select(a => a.Shape).Distinct().Single());
    }

    [Fact]
    public async Task RightSecrets_DoNotCountAsFailures()
    {
        var (clientId, secret) = await gateway.AddClientAsync("tenant-busy");
        using var http = gateway.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < TokenBruteForceFixture.FailedSecretBound * 2; i++)
        {
            using var request = RateLimitedGateway.From(NextAddress(), HttpMethod.Post, "/api/auth/token", Form(clientId, secret));
            using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
            statuses.Add(response.StatusCode);
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [Fact]
    public async Task TheTokenEndpoint_HasAStricterLimitPerAddress()
    {
        using var http = gateway.CreateClient();
        var address = NextAddress();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 25; i++)
        {
            using var request = RateLimitedGateway.From(address, HttpMethod.Post, "/api/auth/token", Form(ClientCredentials.NewClientId(), "secret"));
            using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("\"ip-auth\";q=20;w=3600", Assert.Single(response.Headers.GetValues("RateLimit-Policy")));
            }
        }

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    private sealed record Answer(HttpStatusCode Status, string Shape)
    {
        public static async Task<Answer> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
        {
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!.AsObject();
            body.Remove("traceId");
            var headers = string.Join("|", response.Headers
                .Where(h => h.Key is "WWW-Authenticate" or "RateLimit-Policy" or "Cache-Control")
                .OrderBy(h => h.Key, StringComparer.Ordinal)
                .Select(h => h.Key + ":" + string.Join(",", h.Value)));
            return new Answer(response.StatusCode, $"{response.Content.Headers.ContentType} {headers} {body.ToJsonString(new JsonSerializerOptions { WriteIndented = false })}");
        }
    }
}
