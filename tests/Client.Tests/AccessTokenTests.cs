using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Client.Tests;

/// <summary>Token timing and single flight, against <see cref="StubGateway"/> under fake time.</summary>
public sealed class AccessTokenTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Call_InsideTheRefreshWindow_GetsANewTokenFirst_SoNoCallIsRefused()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var gateway = new StubGateway(time) { TokenLifetimeSeconds = 300 };
        var client = gateway.CreateClient(options => options.TokenRefreshBeforeExpiry = TimeSpan.FromSeconds(60));

        await client.ListAsync(cancellationToken: Ct);
        time.Advance(TimeSpan.FromSeconds(239)); // 61 s left: still outside the window
        await client.ListAsync(cancellationToken: Ct);
        time.Advance(TimeSpan.FromSeconds(2)); // 59 s left: inside the window
        await client.ListAsync(cancellationToken: Ct);
        time.Advance(TimeSpan.FromSeconds(299)); // the second token would have expired now
        await client.ListAsync(cancellationToken: Ct);

        Assert.Equal(["token-1", "token-1", "token-2", "token-3"], gateway.Calls.Select(c => c.Token));
        Assert.All(gateway.Calls, call => Assert.Equal(HttpStatusCode.OK, call.Status));
        Assert.Equal(3, gateway.TokenRequests);
    }

    [Fact]
    public async Task ConcurrentCalls_WithoutAToken_ShareOneTokenRequest()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gateway = new StubGateway(time) { BeforeToken = () => release.Task };
        var client = gateway.CreateClient();

        var calls = Enumerable.Range(0, 20).Select(_ => client.ListAsync(cancellationToken: Ct)).ToList();
        release.SetResult();
        await Task.WhenAll(calls);

        Assert.Equal(1, gateway.TokenRequests);
        Assert.Equal(20, gateway.Calls.Count);
        Assert.All(gateway.Calls, call => Assert.Equal("token-1", call.Token));
    }

    [Fact]
    public async Task Call_WhoseTokenTheGatewayRefuses_IsSentOnceMoreWithANewToken()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var gateway = new StubGateway(time);
        var client = gateway.CreateClient();
        await client.ListAsync(cancellationToken: Ct);
        // Only the second token is accepted from now on (as after a signing-key rotation).
        var api = gateway.Api;
        gateway.Api = (request, attempt) => request.Headers.Authorization!.Parameter == "token-1"
            ? StubGateway.Problem(HttpStatusCode.Unauthorized, "Unauthorized")
            : api(request, attempt);

        await client.ListAsync(cancellationToken: Ct);

        Assert.Equal(["token-1", "token-1", "token-2"], gateway.Calls.Select(c => c.Token));
        Assert.Equal(2, gateway.TokenRequests);
    }

    [Fact]
    public async Task RefreshThatFails_WhileTheCurrentTokenIsStillValid_UsesTheCurrentToken()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var gateway = new StubGateway(time) { TokenLifetimeSeconds = 300 };
        var client = gateway.CreateClient(options => options.TokenRefreshBeforeExpiry = TimeSpan.FromSeconds(60));
        await client.ListAsync(cancellationToken: Ct);
        var refreshAttempts = 0;
        gateway.TokenFailure = () =>
        {
            refreshAttempts++;
            return StubGateway.Json(HttpStatusCode.ServiceUnavailable, """{"error":"temporarily_unavailable"}""");
        };
        time.Advance(TimeSpan.FromSeconds(250)); // inside the refresh window, 50 s left

        await client.ListAsync(cancellationToken: Ct);

        Assert.Equal(1, refreshAttempts);
        Assert.Equal(["token-1", "token-1"], gateway.Calls.Select(c => c.Token));
        Assert.All(gateway.Calls, call => Assert.Equal(HttpStatusCode.OK, call.Status));
    }
}
