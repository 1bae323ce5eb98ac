using System.Collections.Concurrent;
using System.Net;
using Messaging.Gateway.Clients;
using Messaging.Gateway.Tests.Auth;

namespace Messaging.Gateway.Tests.Security;

/// <summary>
/// The token endpoint attacked from many loopback addresses through real Kestrel (<see cref="LoopbackKestrelGateway"/>):
/// it must stay cheap enough that a flood cannot deny it to others, and a stranger's failures must not lock a client out.
/// </summary>
public sealed class TokenEndpointAttackTests(LoopbackKestrelGateway gateway) : IClassFixture<LoopbackKestrelGateway>
{
    private const int FloodAddresses = 40;
    private const int RequestsPerAddress = 25; // under the production per-IP limit of the auth routes (60 a minute)
    private const int InFlight = 120;          // under the auth bulkhead's 16 + 128: nothing is shed for being over capacity

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AStrangersFailures_FromOneAddress_DoNotLockTheClientOutFromAnother()
    {
        var (clientId, secret) = await gateway.AddClientAsync("tenant-lockout");
        using var stranger = gateway.ClientFrom("127.0.3.1");
        using var owner = gateway.ClientFrom("127.0.3.2");

        var guesses = new List<HttpStatusCode>();
        for (var i = 0; i < 14; i++)
        {
            using var guess = await TokenRequests.PostClientCredentialsAsync(stranger, clientId, ClientCredentials.NewSecret());
            guesses.Add(guess.StatusCode);
        }

        using var fromOwner = await TokenRequests.PostClientCredentialsAsync(owner, clientId, secret);
        using var fromStranger = await TokenRequests.PostClientCredentialsAsync(stranger, clientId, secret);

        // The stranger spent its own permits (10 failures a 10 minutes per client id and address) ...
        Assert.Equal(10, guesses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(4, guesses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(HttpStatusCode.TooManyRequests, fromStranger.StatusCode);

        // ... and only its own: the client, from its address, gets its token.
        Assert.Equal(HttpStatusCode.OK, fromOwner.StatusCode);
    }

    [Fact]
    public async Task AFloodForUnknownIds_FromFortyAddresses_NeverDeniesALegitimateClient()
    {
        var (clientId, secret) = await gateway.AddClientAsync("tenant-flooded");
        using var legitimate = gateway.ClientFrom("127.0.2.1");
        var attackers = Enumerable.Range(1, FloodAddresses).Select(i => gateway.ClientFrom($"127.0.1.{i}")).ToList();
        try
        {
            var floodAnswers = new ConcurrentBag<HttpStatusCode>();
            var flood = Parallel.ForEachAsync(
                attackers.SelectMany(attacker => Enumerable.Repeat(attacker, RequestsPerAddress)),
                new ParallelOptions { MaxDegreeOfParallelism = InFlight, CancellationToken = Cancellation },
                async (attacker, ct) =>
                {
                    using var response = await TokenRequests.PostClientCredentialsAsync(attacker, ClientCredentials.NewClientId(), ClientCredentials.NewSecret());
                    floodAnswers.Add(response.StatusCode);
                });

            // The legitimate client keeps asking while the flood lasts (at least once, and under its per-IP limit).
            var legitimateAnswers = new List<HttpStatusCode>();
            do
            {
                using var response = await TokenRequests.PostClientCredentialsAsync(legitimate, clientId, secret);
                legitimateAnswers.Add(response.StatusCode);
            }
            while (!flood.IsCompleted && legitimateAnswers.Count < 50);

            await flood;

            Assert.All(legitimateAnswers, status => Assert.Equal(HttpStatusCode.OK, status));
            Assert.All(floodAnswers, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        }
        finally
        {
            attackers.ForEach(attacker => attacker.Dispose());
        }
    }
}
