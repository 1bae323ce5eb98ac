using System.Security.Cryptography;
using Messaging.Resilience.Signing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace Messaging.Resilience.Tests.Signing;

/// <summary>Callback signing secrets at rest: AES-GCM under a key ring from configuration, bound to their client.</summary>
public sealed class CallbackSecretProtectorTests
{
    private static readonly string KeyA = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string KeyB = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    private static CallbackSecretProtector ProtectorWith(string? current, params (string Id, string Key)[] keys) =>
        new(Options.Create(new CallbackSecretKeysOptions
        {
            SecretKeys = keys.ToDictionary(k => k.Id, k => k.Key, StringComparer.Ordinal),
            CurrentSecretKey = current,
        }));

    [Fact]
    public void ASecret_RoundTrips_ForItsClient_AndIsNotStoredInTheClear()
    {
        var protector = ProtectorWith("a", ("a", KeyA));
        var secret = CallbackSecretProtector.NewSecret();

        var stored = protector.Protect(secret, "client-1");

        Assert.Equal("a", stored.KeyId);
        Assert.Equal(secret, protector.Unprotect(stored, "client-1"));
        Assert.False(stored.Ciphertext.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(secret)) >= 0);
        Assert.NotEqual(stored.Ciphertext, protector.Protect(secret, "client-1").Ciphertext); // a fresh nonce each time
    }

    [Fact]
    public void NewSecret_IsStandardWebhooksShaped()
    {
        var secret = CallbackSecretProtector.NewSecret();

        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        Assert.NotEqual(secret, CallbackSecretProtector.NewSecret());
    }

    [Fact]
    public void ACiphertext_DoesNotDecrypt_ForAnotherClient_OrWhenAltered()
    {
        var protector = ProtectorWith("a", ("a", KeyA));
        var stored = protector.Protect(CallbackSecretProtector.NewSecret(), "client-1");
        var altered = stored.Ciphertext.ToArray();
        altered[14] ^= 1;

        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(stored, "client-2"));
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(stored with { Ciphertext = altered }, "client-1"));
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(stored with { Ciphertext = stored.Ciphertext[..20] }, "client-1"));
    }

    [Fact]
    public void AfterAKeyRotation_OldSecretsStillDecrypt_AndNewOnesUseTheCurrentKey()
    {
        var before = ProtectorWith("a", ("a", KeyA));
        var old = before.Protect("whsec_old", "client-1");
        var after = ProtectorWith("b", ("a", KeyA), ("b", KeyB));

        Assert.Equal("whsec_old", after.Unprotect(old, "client-1"));
        Assert.Equal("b", after.Protect("whsec_new", "client-1").KeyId);
        Assert.ThrowsAny<CryptographicException>(() => ProtectorWith("b", ("b", KeyB)).Unprotect(old, "client-1"));
    }

    [Fact]
    public void WithoutKeys_NothingCanBeProtected()
    {
        var protector = ProtectorWith(null);

        Assert.False(protector.CanProtect);
        Assert.Throws<InvalidOperationException>(() => protector.Protect("whsec_x", "client-1"));
    }

    [Theory]
    [InlineData(null, null, null, true)] // no callbacks
    [InlineData("k1", "k1", "A", true)]
    [InlineData(null, "k1", "A", false)] // current key missing
    [InlineData("k2", "k1", "A", false)] // current key not configured
    [InlineData("k1", "k1", "short", false)]
    [InlineData("k1", "k1", "not base64!", false)]
    [InlineData("k 1", "k 1", "A", false)]
    [InlineData("k1", "k1", "dev", false)] // the development key outside Development
    public void Validate_ChecksTheKeyRing_NamingTheKey(string? current, string? id, string? key, bool valid)
    {
        var options = new CallbackSecretKeysOptions { CurrentSecretKey = current };
        if (id is not null)
        {
            options.SecretKeys[id] = key switch
            {
                "A" => KeyA,
                "short" => Convert.ToBase64String(new byte[16]),
                "dev" => CallbackSecretKeysOptionsValidator.DevelopmentKey,
                _ => key!,
            };
        }

        var result = Validate(options, Environments.Production);

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Callbacks:", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validate_TakesTheDevelopmentKey_InDevelopment()
    {
        var options = new CallbackSecretKeysOptions { CurrentSecretKey = "dev" };
        options.SecretKeys["dev"] = CallbackSecretKeysOptionsValidator.DevelopmentKey;

        Assert.True(Validate(options, Environments.Development).Succeeded);
    }

    [Fact]
    public void AddCallbackSecretProtection_BindsTheCallbacksSection()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Callbacks:SecretKeys:2026-12"] = KeyA,
            ["Callbacks:CurrentSecretKey"] = "2026-12",
        }).Build();
        using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = Environments.Production })
            .AddCallbackSecretProtection()
            .BuildServiceProvider();

        var protector = services.GetRequiredService<CallbackSecretProtector>();

        Assert.Equal("2026-12", protector.Protect("whsec_x", "c").KeyId);
    }

    private static ValidateOptionsResult Validate(CallbackSecretKeysOptions options, string environment) =>
        new CallbackSecretKeysOptionsValidator(new HostingEnvironment { EnvironmentName = environment }).Validate(null, options);
}
