using System.ComponentModel.DataAnnotations;
using Messaging.Gateway.Clients;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Tests.Auth;

public sealed class ClientSecretHasherTests
{
    private static ClientSecretHasher Hasher(int iterations = ClientSecretHashingOptions.MinimumIterations) =>
        new(Options.Create(new ClientSecretHashingOptions { SecretHashIterations = iterations }));

    [Fact]
    public void Verify_WithTheHashedSecret_ReturnsTrue()
    {
        var hasher = Hasher();
        var secret = ClientCredentials.NewSecret();

        Assert.True(hasher.Verify(secret, hasher.Hash(secret)));
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
    public void Hash_IsSelfDescribingWithConfiguredIterationsSaltAndHash()
    {
        var hash = Hasher(12_345).Hash("secret");

        var parts = hash.Split('$');
        Assert.Equal(4, parts.Length);
        Assert.Equal("pbkdf2-sha256", parts[0]);
        Assert.Equal("12345", parts[1]);
        Assert.Equal(16, Convert.FromBase64String(parts[2]).Length);
        Assert.Equal(32, Convert.FromBase64String(parts[3]).Length);
        Assert.True(ClientSecretHasher.TryParse(hash, out var iterations, out _, out _));
        Assert.Equal(12_345, iterations);
    }

    [Fact]
    public void Verify_UsesTheIterationsStoredInTheHash_SoRaisingThemKeepsOldSecretsValid()
    {
        var oldHash = Hasher(10_000).Hash("secret");

        var raised = Hasher(20_000);

        Assert.True(raised.Verify("secret", oldHash));
        Assert.Contains("$20000$", raised.Hash("secret"), StringComparison.Ordinal);
    }

    [Fact]
    public void Hash_OfTheSameSecretTwice_UsesDifferentSalts()
    {
        var hasher = Hasher();

        var first = hasher.Hash("secret").Split('$');
        var second = hasher.Hash("secret").Split('$');

        Assert.NotEqual(first[2], second[2]);
        Assert.NotEqual(first[3], second[3]);
    }

    [Fact]
    public void Verify_WithoutStoredHash_ReturnsFalse()
    {
        // Unknown or revoked client: checked against the dummy hash, never accepted.
        Assert.False(Hasher().Verify("anything", storedHash: null));
        Assert.False(Hasher().Verify("", storedHash: null));
    }

    [Theory]
    [InlineData("")]
    [InlineData("secret")]
    [InlineData("bcrypt$10000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$notanumber$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$0$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$999999999$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$10000$not base64$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void Verify_WithMalformedStoredHash_ReturnsFalse(string storedHash)
    {
        Assert.False(Hasher().Verify("secret", storedHash));
    }

    [Theory]
    [InlineData(9_999, false)]
    [InlineData(10_000, true)]
    [InlineData(100_000, true)]
    public void Options_RequireAtLeastTenThousandIterations(int iterations, bool valid)
    {
        var options = new ClientSecretHashingOptions { SecretHashIterations = iterations };
        var results = new List<ValidationResult>();

        var ok = Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);

        Assert.Equal(valid, ok);
        if (!valid)
        {
            Assert.Contains("Auth:SecretHashIterations", results.Single().ErrorMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void NewCredentials_HaveTheDocumentedShape()
    {
        var clientId = ClientCredentials.NewClientId();
        var secret = ClientCredentials.NewSecret();

        Assert.Matches("^cli_[0-9a-f]{32}$", clientId);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", secret); // 32 bytes, base64url without padding
        Assert.NotEqual(ClientCredentials.NewSecret(), secret);
    }
}
