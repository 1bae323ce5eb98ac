using System.Security.Cryptography;
using Messaging.Resilience.Signing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace Messaging.Resilience.Tests.Signing;

public sealed class MessageSignerTests
{
    private static readonly string KeyA = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string KeyB = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static MessageSigner SignerWith(params string[] keys) => new(new ServiceCollection()
        .Configure<MessageSigningOptions>(options => options.SigningKeys = [.. keys])
        .BuildServiceProvider()
        .GetRequiredService<IOptionsMonitor<MessageSigningOptions>>());

    [Fact]
    public void ASignature_VerifiesForTheSameFields_AndForNoOtherFields()
    {
        var signer = SignerWith(KeyA);
        var signature = signer.Sign("direct-command", "tenant-a", "12.50");

        Assert.StartsWith("v1.", signature, StringComparison.Ordinal);
        Assert.True(signer.Verify(signature, "direct-command", "tenant-a", "12.50"));
        Assert.False(signer.Verify(signature, "direct-command", "tenant-b", "12.50"));
        Assert.False(signer.Verify(signature, "direct-command", "tenant-a", "12.5"));
        Assert.False(signer.Verify(signature, "direct-command", "tenant-a"));
    }

    [Fact]
    public void FieldBoundariesAndMissingFields_AreNotAmbiguous()
    {
        var signer = SignerWith(KeyA);

        Assert.False(signer.Verify(signer.Sign("ab", "c"), "a", "bc"));
        Assert.False(signer.Verify(signer.Sign("a", null), "a", ""));
        Assert.False(signer.Verify(signer.Sign("a\nb"), "a", "b"));
    }

    [Fact]
    public void Rotation_TheFirstKeySigns_EveryKeyVerifies()
    {
        var old = SignerWith(KeyB);
        var rotated = SignerWith(KeyA, KeyB);

        Assert.True(rotated.Verify(old.Sign("x"), "x"));
        Assert.True(SignerWith(KeyA).Verify(rotated.Sign("x"), "x"));
        Assert.False(old.Verify(rotated.Sign("x"), "x"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v1.")]
    [InlineData("v1.not-base64!")]
    [InlineData("v2.AAAA")]
    [InlineData("v1.AAAA")]
    public void AMalformedSignature_NeverVerifies(string? signature) =>
        Assert.False(SignerWith(KeyA).Verify(signature, "x"));

    [Theory]
    [InlineData(new string[0], "Messaging:SigningKeys is required")]
    [InlineData(new[] { "not base64!" }, "Messaging:SigningKeys:0 is not valid base64")]
    [InlineData(new[] { "c2hvcnQ=" }, "Messaging:SigningKeys:0 is 5 bytes")]
    public void TheOptions_RefuseMissingMalformedAndShortKeys_NamingTheKey(string[] keys, string expected)
    {
        var result = new MessageSigningOptionsValidator(Environment(Environments.Production)).Validate(null, new MessageSigningOptions { SigningKeys = [.. keys] });

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDevelopmentKey_IsRefusedOutsideDevelopment_Only()
    {
        var options = new MessageSigningOptions { SigningKeys = [MessageSigningOptionsValidator.DevelopmentKey] };

        Assert.True(new MessageSigningOptionsValidator(Environment(Environments.Production)).Validate(null, options).Failed);
        Assert.True(new MessageSigningOptionsValidator(Environment(Environments.Development)).Validate(null, options).Succeeded);
    }

    private static HostingEnvironment Environment(string name) => new() { EnvironmentName = name };
}
