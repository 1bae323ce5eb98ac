using System.Security.Cryptography;
using Messaging.Gateway.Clients;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Tests.Auth;

public sealed class ClientSecretHasherTests
{
    private static readonly string OldPepper = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string NewPepper = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static ClientSecretHasher Hasher(string? current = null, params (string Id, string Pepper)[] peppers)
    {
        var options = new ClientSecretHashingOptions { CurrentSecretPepper = current };
        foreach (var (id, pepper) in peppers.Length == 0 ? [("p1", OldPepper)] : peppers)
        {
            options.SecretPeppers[id] = pepper;
        }

        return new ClientSecretHasher(Options.Create(options));
    }

    [Fact]
    public void Verify_WithTheHashedSecret_ReturnsTrue()
    {
        var hasher = Hasher();
        var secret = ClientCredentials.NewSecret();

        var hash = hasher.Hash(secret);

        Assert.True(hasher.Verify(secret, hash));
        Assert.False(hasher.NeedsRehash(hash));
    }

    [Fact]
    public void Verify_WithAnotherSecret_ReturnsFalse()
    {
        var hasher = Hasher();
        var hash = hasher.Hash("right-secret");

        Assert.False(hasher.Verify("wrong-secret", hash));
        Assert.False(hasher.Verify("right-secre", hash));
    }

    [Fact]
    public void Hash_IsHmacSha256OfTheSecretUnderThePepper_NamingThePepper()
    {
        var hash = Hasher().Hash("secret");

        var parts = hash.Split('$');
        Assert.Equal(["hmac-sha256", "p1"], parts[..2]);
        Assert.Equal(HMACSHA256.HashData(Convert.FromBase64String(OldPepper), "secret"u8), Convert.FromBase64String(parts[2]));
        Assert.True(ClientSecretHasher.TryParse(hash, out var pepperId, out _));
        Assert.Equal("p1", pepperId);
    }

    [Fact]
    public void Hash_WithSeveralPeppers_UsesTheCurrentOne_AndEveryPepperVerifiesItsOwnHashes()
    {
        var before = Hasher("old", ("old", OldPepper));
        var oldHash = before.Hash("secret");

        var rotated = Hasher("new", ("old", OldPepper), ("new", NewPepper));
        var newHash = rotated.Hash("secret");

        Assert.StartsWith("hmac-sha256$new$", newHash, StringComparison.Ordinal);
        Assert.True(rotated.Verify("secret", oldHash));
        Assert.True(rotated.Verify("secret", newHash));
        Assert.False(rotated.Verify("other", oldHash));

        // Hashes under a pepper that is no longer current are replaced on their next use.
        Assert.True(rotated.NeedsRehash(oldHash));
        Assert.False(rotated.NeedsRehash(newHash));
    }

    [Fact]
    public void Verify_UnderAPepperIdThatIsNotConfigured_NeverVerifies()
    {
        var hash = Hasher("retired", ("retired", OldPepper)).Hash("secret");

        // The same pepper bytes under another id: the id in the hash decides, and "retired" is gone.
        var hasher = Hasher("current", ("current", OldPepper));

        Assert.False(hasher.Verify("secret", hash));
    }

    [Fact]
    public void Verify_ALegacyPbkdf2Hash_VerifiesAndNeedsARehash()
    {
        var hasher = Hasher();
        var legacy = LegacyHashes.Pbkdf2("secret", iterations: 1_000);

        Assert.True(ClientSecretHasher.IsLegacy(legacy));
        Assert.True(hasher.Verify("secret", legacy));
        Assert.False(hasher.Verify("other", legacy));
        Assert.True(hasher.NeedsRehash(legacy));
        Assert.False(ClientSecretHasher.IsLegacy(hasher.Hash("secret")));
        Assert.False(ClientSecretHasher.IsLegacy(null));
    }

    [Fact]
    public void Verify_WithoutStoredHash_ReturnsFalse()
    {
        // Unknown or revoked client: checked against the dummy, never accepted.
        Assert.False(Hasher().Verify("anything", storedHash: null));
        Assert.False(Hasher().Verify("", storedHash: null));
    }

    [Theory]
    [InlineData("")]
    [InlineData("secret")]
    [InlineData("hmac-sha256$p1")]
    [InlineData("hmac-sha256$p1$not base64")]
    [InlineData("hmac-sha256$p1$AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("hmac-sha256$p1$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=$extra")]
    [InlineData("hmac-sha256$bad id$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("HMAC-SHA256$p1$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("bcrypt$10000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$notanumber$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$0$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$999999999$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$10000$not base64$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void Verify_WithMalformedStoredHash_ReturnsFalse(string storedHash)
    {
        Assert.False(Hasher().Verify("secret", storedHash));

        // Only a well-formed legacy hash costs PBKDF2 (and so needs the legacy limit).
        Assert.False(ClientSecretHasher.IsLegacy(storedHash));
    }

    [Fact]
    public void Hasher_WithOnePepperAndNoCurrent_UsesThatPepper_SpelledAsConfigured()
    {
        Assert.Equal("Only-One", Hasher(current: null, ("Only-One", OldPepper)).CurrentPepperId);
        Assert.Equal("Only-One", Hasher(current: "only-one", ("Only-One", OldPepper)).CurrentPepperId);
    }

    [Theory]
    [InlineData("cli_0123456789abcdef0123456789abcdef", true)]
    [InlineData("cli_0123456789ABCDEF0123456789abcdef", false)]
    [InlineData("cli_0123456789abcdef0123456789abcde", false)]
    [InlineData("cli_0123456789abcdef0123456789abcdef0", false)]
    [InlineData("CLI_0123456789abcdef0123456789abcdef", false)]
    [InlineData("xyz_0123456789abcdef0123456789abcdef", false)]
    [InlineData("cli_0123456789abcdef0123456789abcdeg", false)]
    [InlineData("cli_nobody", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsWellFormedClientId_AcceptsOnlyTheShapeWeIssue(string? clientId, bool expected)
    {
        Assert.Equal(expected, ClientCredentials.IsWellFormedClientId(clientId));
    }

    [Fact]
    public void NewCredentials_HaveTheDocumentedShape()
    {
        var clientId = ClientCredentials.NewClientId();
        var secret = ClientCredentials.NewSecret();

        Assert.Matches("^cli_[0-9a-f]{32}$", clientId);
        Assert.True(ClientCredentials.IsWellFormedClientId(clientId));
        Assert.Matches("^[A-Za-z0-9_-]{43}$", secret); // 32 bytes, base64url without padding
        Assert.NotEqual(ClientCredentials.NewSecret(), secret);
    }
}
