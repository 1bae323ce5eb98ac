using System.Net;

namespace Messaging.Gateway.Tests.RateLimiting;

public sealed class TokenCoolDownTests(ShortCoolDownFixture gateway) : IClassFixture<ShortCoolDownFixture>
{
    [Fact]
    public async Task AfterTheCoolDown_TheRightSecretWorks()
    {
        var (clientId, secret) = await gateway.AddClientAsync("tenant-cool");
        using var http = gateway.CreateClient();
        for (var i = 0; i < 10; i++)
        {
            using var guess = await http.PostAsync("/api/auth/token", Form(clientId, "wrong"), TestContext.Current.CancellationToken);
        }

        using var refused = await http.PostAsync("/api/auth/token", Form(clientId, secret), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = refused.Headers.RetryAfter?.Delta ?? throw new InvalidOperationException("no Retry-After");
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

        // Waiting out the Redis-clock cool-down the server announced (a real clock: Redis decides).
        await Task.Delay(retryAfter, TestContext.Current.CancellationToken);
        using var granted = await http.PostAsync("/api/auth/token", Form(clientId, secret), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
    }

    private static FormUrlEncodedContent Form(string clientId, string secret) => new(new Dictionary<string, string>
    {
        ["grant_type"] = "client_credentials",
        ["client_id"] = clientId,
        ["client_secret"] = secret,
    });
}
