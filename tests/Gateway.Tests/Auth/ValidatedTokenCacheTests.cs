using Messaging.Gateway.Auth;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Gateway.Tests.Auth;

public sealed class ValidatedTokenCacheTests
{
    private const string FirstKey = "first-signing-key-0123456789-abcdefghijklmnop";
    private const string SecondKey = "second-signing-key-0123456789-abcdefghijklmno";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero));
    private readonly SwitchableMonitor _auth = new(new AuthOptions { SigningKeys = [FirstKey] });
    private readonly SigningKeyRing _keys;
    private readonly ValidatedTokenCache _cache;
    private readonly AccessTokenIssuer _issuer;

    public ValidatedTokenCacheTests()
    {
        _keys = new SigningKeyRing(_auth);
        _cache = new ValidatedTokenCache(_keys, _time, () => _auth.CurrentValue.ClockSkew) { MapInboundClaims = false };
        _issuer = new AccessTokenIssuer(_auth, _keys, _time);
    }

    [Fact]
    public async Task Validate_TheSameTokenTwice_RemembersItAndGivesEachCallItsOwnIdentity()
    {
        var token = Issue();

        var first = await _cache.ValidateTokenAsync(token, Parameters());
        var second = await _cache.ValidateTokenAsync(token, Parameters());

        Assert.True(first.IsValid);
        Assert.True(second.IsValid);
        Assert.Equal(1, _cache.Count);
        Assert.NotSame(first.ClaimsIdentity, second.ClaimsIdentity);
        Assert.Equal("acme", second.ClaimsIdentity.FindFirst(GatewayClaims.Tenant)?.Value);
        Assert.Equal("client-1", second.ClaimsIdentity.FindFirst(GatewayClaims.ClientId)?.Value);
        Assert.Equal("commands", second.ClaimsIdentity.FindFirst(GatewayClaims.Scope)?.Value);
    }

    [Fact]
    public async Task Validate_ARememberedTokenAfterItExpires_Fails()
    {
        var token = Issue();
        Assert.True((await _cache.ValidateTokenAsync(token, Parameters())).IsValid);

        _time.Advance(_auth.CurrentValue.TokenLifetime + _auth.CurrentValue.ClockSkew + TimeSpan.FromSeconds(1));
        var expired = await _cache.ValidateTokenAsync(token, Parameters());

        Assert.False(expired.IsValid);
        Assert.Equal(0, _cache.Count);
    }

    [Fact]
    public async Task Validate_ARememberedTokenAfterItsKeyIsRemoved_Fails()
    {
        var token = Issue();
        Assert.True((await _cache.ValidateTokenAsync(token, Parameters())).IsValid);

        _auth.Value = new AuthOptions { SigningKeys = [SecondKey] };
        var afterRotation = await _cache.ValidateTokenAsync(token, Parameters());

        Assert.False(afterRotation.IsValid);
    }

    [Fact]
    public async Task Validate_ARememberedTokenWhenItsKeyStaysListedSecond_StillSucceeds()
    {
        var token = Issue();
        Assert.True((await _cache.ValidateTokenAsync(token, Parameters())).IsValid);

        _auth.Value = new AuthOptions { SigningKeys = [SecondKey, FirstKey] };

        Assert.True((await _cache.ValidateTokenAsync(token, Parameters())).IsValid);
    }

    [Fact]
    public async Task Validate_ATamperedCopyOfARememberedToken_FailsAndIsNotRemembered()
    {
        var token = Issue();
        Assert.True((await _cache.ValidateTokenAsync(token, Parameters())).IsValid);
        var lastSignatureChar = token[^1] == 'A' ? 'B' : 'A';
        var tampered = token[..^1] + lastSignatureChar;

        var result = await _cache.ValidateTokenAsync(tampered, Parameters());

        Assert.False(result.IsValid);
        Assert.Equal(1, _cache.Count);
    }

    [Fact]
    public async Task Validate_ATokenOfAnotherAudience_FailsEveryTimeAndIsNotRemembered()
    {
        var token = Issue();
        var parameters = Parameters();
        parameters.ValidAudience = "someone-else";

        var first = await _cache.ValidateTokenAsync(token, parameters);
        var second = await _cache.ValidateTokenAsync(token, parameters);

        Assert.False(first.IsValid);
        Assert.False(second.IsValid);
        Assert.Equal(0, _cache.Count);
    }

    [Fact]
    public async Task TryGetValidated_ARememberedTokenFromItsCharacters_GivesItsOwnIdentity()
    {
        var token = Issue();
        Assert.True((await _cache.ValidateTokenAsync(token, Parameters())).IsValid);
        var header = "Bearer " + token + " ";

        var first = _cache.TryGetValidated(header.AsSpan(7, token.Length), out var identity);
        var second = _cache.TryGetValidated(token, out var other);

        Assert.True(first);
        Assert.True(second);
        Assert.NotSame(identity, other);
        Assert.Equal("acme", identity!.FindFirst(GatewayClaims.Tenant)?.Value);
        Assert.Equal("client-1", identity.Name);
    }

    [Fact]
    public async Task TryGetValidated_ATokenNotSeenOrATamperedCopy_IsNotFound()
    {
        var token = Issue();
        Assert.False(_cache.TryGetValidated(token, out _));
        Assert.True((await _cache.ValidateTokenAsync(token, Parameters())).IsValid);

        var tampered = token[..^1] + (token[^1] == 'A' ? 'B' : 'A');

        Assert.False(_cache.TryGetValidated(tampered, out var identity));
        Assert.Null(identity);
    }

    [Fact]
    public async Task TryGetValidated_AfterExpiryOrAfterItsKeyIsRemoved_IsNotFound()
    {
        var expiring = Issue();
        Assert.True((await _cache.ValidateTokenAsync(expiring, Parameters())).IsValid);
        _time.Advance(_auth.CurrentValue.TokenLifetime + _auth.CurrentValue.ClockSkew + TimeSpan.FromSeconds(1));
        var rotated = Issue();
        Assert.True((await _cache.ValidateTokenAsync(rotated, Parameters())).IsValid);

        var expiredFound = _cache.TryGetValidated(expiring, out _);
        _auth.Value = new AuthOptions { SigningKeys = [SecondKey] };
        var rotatedFound = _cache.TryGetValidated(rotated, out _);

        Assert.False(expiredFound);
        Assert.False(rotatedFound);
    }

    private string Issue() => _issuer.Issue("client-1", "acme", ["commands"]).Token;

    // The same rules as AddGatewayAuth's.
    private TokenValidationParameters Parameters() => new()
    {
        ValidIssuer = GatewayClaims.Issuer,
        ValidAudience = GatewayClaims.Audience,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        IssuerSigningKeyResolver = (_, _, _, _) => _keys.Current,
        LifetimeValidator = (notBefore, expires, _, _) =>
            BearerTokenValidator.IsWithinLifetime(notBefore, expires, _time, _auth.CurrentValue.ClockSkew),
        ClockSkew = _auth.CurrentValue.ClockSkew,
        NameClaimType = GatewayClaims.ClientId,
        RequireExpirationTime = true,
    };

    private sealed class SwitchableMonitor(AuthOptions value) : IOptionsMonitor<AuthOptions>
    {
        public AuthOptions Value { get; set; } = value;

        public AuthOptions CurrentValue => Value;

        public AuthOptions Get(string? name) => Value;

        public IDisposable? OnChange(Action<AuthOptions, string?> listener) => null;
    }
}
