using System.Security.Claims;
using Messaging.Gateway.Auth;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Tests.Auth;

public sealed class SigningKeyRingTests
{
    private const string FirstKey = "Zmlyc3QtdG9rZW4tc2lnbmluZy1rZXktMDEyMzQ1Njc4OS1hYmNkZWZnaA==";
    private const string SecondKey = "c2Vjb25kLXRva2VuLXNpZ25pbmcta2V5LTAxMjM0NTY3ODktYWJjZGVmZw==";

    [Fact]
    public void Current_ForTheSameOptions_ReturnsTheSameKeyObjects()
    {
        var ring = new SigningKeyRing(new SwitchableMonitor(new AuthOptions { SigningKeys = [FirstKey, SecondKey] }));

        var first = ring.Current;
        var second = ring.Current;

        Assert.Same(first, second);
        Assert.Equal(2, first.Count);
        Assert.Same(first[0], ring.Signing);
    }

    [Fact]
    public void Current_HoldsTheBytesTheBase64KeysStandFor()
    {
        var ring = new SigningKeyRing(new SwitchableMonitor(new AuthOptions { SigningKeys = [FirstKey] }));

        Assert.Equal(Convert.FromBase64String(FirstKey), ring.Signing.Key);
    }

    [Fact]
    public void Current_AfterTheOptionsChange_HoldsTheNewKeysInConfigurationOrder()
    {
        var monitor = new SwitchableMonitor(new AuthOptions { SigningKeys = [FirstKey] });
        var ring = new SigningKeyRing(monitor);
        var before = ring.Current;

        monitor.Value = new AuthOptions { SigningKeys = [SecondKey, FirstKey] };
        var after = ring.Current;

        Assert.NotSame(before, after);
        Assert.Equal(SecondKey, Convert.ToBase64String(after[0].Key));
        Assert.Equal(FirstKey, Convert.ToBase64String(after[1].Key));
        Assert.Same(after[0], ring.Signing);
    }

    [Theory]
    [InlineData("commands", "commands", true)]
    [InlineData("admin commands", "commands", true)]
    [InlineData("  commands  admin ", "admin", true)]
    [InlineData("commandsx admin", "commands", false)]
    [InlineData("command", "commands", false)]
    [InlineData("", "commands", false)]
    public void HasScope_MatchesWholeSpaceSeparatedScopesOnly(string claim, string scope, bool expected)
    {
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim(GatewayClaims.Scope, claim)], "test"));

        Assert.Equal(expected, AuthServiceCollectionExtensions.HasScope(user, scope));
    }

    private sealed class SwitchableMonitor(AuthOptions value) : IOptionsMonitor<AuthOptions>
    {
        public AuthOptions Value { get; set; } = value;

        public AuthOptions CurrentValue => Value;

        public AuthOptions Get(string? name) => Value;

        public IDisposable? OnChange(Action<AuthOptions, string?> listener) => null;
    }
}
