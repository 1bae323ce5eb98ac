using System.Net;
using Messaging.CommandTypes.Providers;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.CommandTypes.Tests.Providers.Credentials;

public sealed class ClientCredentialsTokenProviderTests : IDisposable
{
    private static readonly ClientCredentials Credentials =
        new("payments", new Uri("http://127.0.0.1:5091/oauth/token"), "gateway-workers", "s3cret-value", Scope: "charges");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeTokenEndpoint _endpoint = new();
    private readonly ClientCredentialsTokenProvider _provider;

    public ClientCredentialsTokenProviderTests()
    {
        _provider = new ClientCredentialsTokenProvider(_endpoint, _time, new StaticOptions(new TokenRefreshOptions()),
            NullLogger<ClientCredentialsTokenProvider>.Instance);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetToken_Twice_RequestsOneTokenAndReturnsItBothTimes()
    {
        var first = await _provider.GetTokenAsync(Credentials, Ct);
        _time.Advance(TimeSpan.FromMinutes(10));
        var second = await _provider.GetTokenAsync(Credentials, Ct);

        Assert.Equal("token-1", first);
        Assert.Equal("token-1", second);
        Assert.Equal(1, _endpoint.RequestCount);
    }

    [Fact]
    public async Task GetToken_SendsClientCredentialsGrantAsForm()
    {
        await _provider.GetTokenAsync(Credentials, Ct);

        var form = Assert.Single(_endpoint.Forms);
        Assert.Equal("grant_type=client_credentials&client_id=gateway-workers&client_secret=s3cret-value&scope=charges", form);
    }

    [Fact]
    public async Task GetToken_AtEightyPercentOfLifetime_FetchesANewToken()
    {
        await _provider.GetTokenAsync(Credentials, Ct);

        _time.Advance(TimeSpan.FromSeconds(2879)); // 80% of 3600 s is 2880 s
        Assert.Equal("token-1", await _provider.GetTokenAsync(Credentials, Ct));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("token-2", await _provider.GetTokenAsync(Credentials, Ct));
        Assert.Equal(2, _endpoint.RequestCount);
    }

    [Fact]
    public async Task GetToken_WithShortLifetime_RefreshesThirtySecondsBeforeExpiry()
    {
        _endpoint.LifetimeSeconds = 60; // 80% would be 48 s, but the 30 s margin comes first
        await _provider.GetTokenAsync(Credentials, Ct);

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal("token-1", await _provider.GetTokenAsync(Credentials, Ct));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("token-2", await _provider.GetTokenAsync(Credentials, Ct));
    }

    [Fact]
    public async Task GetToken_WithConfiguredRefreshPolicy_UsesIt()
    {
        var provider = new ClientCredentialsTokenProvider(_endpoint, _time,
            new StaticOptions(new TokenRefreshOptions { LifetimeFraction = 0.5, Margin = TimeSpan.Zero }),
            NullLogger<ClientCredentialsTokenProvider>.Instance);
        await provider.GetTokenAsync(Credentials, Ct);

        _time.Advance(TimeSpan.FromSeconds(1799));
        Assert.Equal("token-1", await provider.GetTokenAsync(Credentials, Ct));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("token-2", await provider.GetTokenAsync(Credentials, Ct));
    }

    [Fact]
    public async Task GetToken_With200ConcurrentColdCalls_SendsExactlyOneTokenRequest()
    {
        _endpoint.Hold();
        var joined = 0;
        var allJoined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = Enumerable.Range(0, 200).Select(_ => Task.Run(async () =>
        {
            var pending = _provider.GetTokenAsync(Credentials, Ct);
            if (Interlocked.Increment(ref joined) == 200)
            {
                allJoined.SetResult();
            }

            return await pending;
        }, Ct)).ToArray();

        await allJoined.Task.WaitAsync(Ct);
        _endpoint.Release();
        var tokens = await Task.WhenAll(calls);

        Assert.All(tokens, token => Assert.Equal("token-1", token));
        Assert.Equal(1, _endpoint.RequestCount);
    }

    [Fact]
    public async Task GetToken_ForOtherClientOrScope_RequestsItsOwnToken()
    {
        var first = await _provider.GetTokenAsync(Credentials, Ct);
        var otherClient = await _provider.GetTokenAsync(Credentials with { ClientId = "other-client" }, Ct);
        var otherScope = await _provider.GetTokenAsync(Credentials with { Scope = "refunds" }, Ct);

        Assert.Equal(["token-1", "token-2", "token-3"], [first, otherClient, otherScope]);
        Assert.Equal("token-1", await _provider.GetTokenAsync(Credentials, Ct));
    }

    [Fact]
    public async Task RefreshAfterRejection_FromManyCallers_FetchesOneNewToken()
    {
        var rejected = await _provider.GetTokenAsync(Credentials, Ct);
        _endpoint.Hold();

        var refreshes = Enumerable.Range(0, 20).Select(_ => _provider.RefreshAfterRejectionAsync(Credentials, rejected, Ct).AsTask()).ToArray();
        _endpoint.Release();
        var tokens = await Task.WhenAll(refreshes);

        Assert.All(tokens, token => Assert.Equal("token-2", token));
        Assert.Equal(2, _endpoint.RequestCount);
        Assert.Equal("token-2", await _provider.GetTokenAsync(Credentials, Ct));
    }

    [Fact]
    public async Task RefreshAfterRejection_WhenTokenWasAlreadyReplaced_ReturnsTheNewTokenWithoutARequest()
    {
        var rejected = await _provider.GetTokenAsync(Credentials, Ct);
        var replacement = await _provider.RefreshAfterRejectionAsync(Credentials, rejected, Ct);

        var late = await _provider.RefreshAfterRejectionAsync(Credentials, rejected, Ct);

        Assert.Equal("token-2", replacement);
        Assert.Equal("token-2", late);
        Assert.Equal(2, _endpoint.RequestCount);
    }

    [Fact]
    public async Task GetToken_WhenRefreshFailsWhileTokenIsValid_KeepsUsingTheCurrentToken()
    {
        await _provider.GetTokenAsync(Credentials, Ct);
        _time.Advance(TimeSpan.FromSeconds(3000)); // due for refresh, valid until 3600 s
        _endpoint.FailWith = HttpStatusCode.ServiceUnavailable;

        Assert.Equal("token-1", await _provider.GetTokenAsync(Credentials, Ct));
        Assert.Equal(2, _endpoint.RequestCount);
    }

    [Fact]
    public async Task GetToken_WhenTokenExpiredAndRefreshFails_ThrowsInsteadOfReturningTheExpiredToken()
    {
        await _provider.GetTokenAsync(Credentials, Ct);
        _time.Advance(TimeSpan.FromSeconds(3600));
        _endpoint.FailWith = HttpStatusCode.ServiceUnavailable;

        var ex = await Assert.ThrowsAsync<TokenRequestException>(() => _provider.GetTokenAsync(Credentials, Ct).AsTask());
        Assert.True(ex.IsTransient);
        Assert.DoesNotContain("s3cret-value", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetToken_AfterExpiry_ReturnsANewToken()
    {
        await _provider.GetTokenAsync(Credentials, Ct);
        _time.Advance(TimeSpan.FromHours(2));

        Assert.Equal("token-2", await _provider.GetTokenAsync(Credentials, Ct));
    }

    [Fact]
    public async Task GetToken_WhenTokenEndpointRejectsClient_ThrowsNonTransientAndRetriesOnNextCall()
    {
        _endpoint.FailWith = HttpStatusCode.Unauthorized;
        var ex = await Assert.ThrowsAsync<TokenRequestException>(() => _provider.GetTokenAsync(Credentials, Ct).AsTask());
        Assert.False(ex.IsTransient);

        _endpoint.FailWith = null;
        Assert.Equal("token-1", await _provider.GetTokenAsync(Credentials, Ct));
    }

    public void Dispose() => _endpoint.Dispose();

    private sealed class StaticOptions(TokenRefreshOptions value) : IOptionsMonitor<TokenRefreshOptions>
    {
        public TokenRefreshOptions CurrentValue => value;

        public TokenRefreshOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<TokenRefreshOptions, string?> listener) => null;
    }
}
