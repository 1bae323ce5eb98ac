using Messaging.Gateway.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Tests.Auth;

public sealed class AuthOptionsValidationTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    [InlineData("Testing")]
    public void Validate_TheDevelopmentKeyOutsideDevelopment_FailsNamingSigningKeys(string environment)
    {
        var result = Validate(environment, AuthOptionsValidator.DevelopmentSigningKey);

        Assert.True(result.Failed);
        Assert.Contains("Auth:SigningKeys", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TheDevelopmentKeyAsOldKeyOutsideDevelopment_Fails()
    {
        var result = Validate("Production", GatewayHost.TestSigningKey, AuthOptionsValidator.DevelopmentSigningKey);

        Assert.True(result.Failed);
    }

    [Fact]
    public void Validate_TheDevelopmentKeyInDevelopment_Succeeds()
    {
        Assert.True(Validate(Environments.Development, AuthOptionsValidator.DevelopmentSigningKey).Succeeded);
    }

    [Fact]
    public void Validate_NoKeys_FailsNamingSigningKeys()
    {
        var result = Validate("Production");

        Assert.True(result.Failed);
        Assert.Contains("Auth:SigningKeys", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AKeyShorterThan32Bytes_FailsNamingItsIndex()
    {
        var result = Validate("Production", GatewayHost.TestSigningKey, Convert.ToBase64String(new byte[31]));

        Assert.True(result.Failed);
        Assert.Contains("Auth:SigningKeys:1 is 31 bytes", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(Validate("Production", Convert.ToBase64String(new byte[32])).Succeeded);
    }

    [Theory]
    [InlineData("gateway-tests-signing-key-not-a-secret-0123456789")] // 49 characters of text, as keys were configured before
    [InlineData("not base64!")]
    [InlineData("")]
    public void Validate_AKeyThatIsNotBase64_FailsNamingItsIndex(string key)
    {
        var result = Validate("Production", GatewayHost.TestSigningKey, key);

        Assert.True(result.Failed);
        Assert.Contains("Auth:SigningKeys:1 is not valid base64", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_WithAKeyThatIsNotBase64_RefusesToStartNamingTheKey()
    {
        var configuration = host.HostConfiguration();
        configuration["Auth:SigningKeys:0"] = "a-text-key-that-is-long-enough-but-not-base64";
        await using var factory = GatewayHost.CreateFactory(configuration);

        var error = Assert.Throws<OptionsValidationException>(() => factory.Server);

        Assert.Contains("Auth:SigningKeys:0 is not valid base64", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("01:00:01", false)]
    [InlineData("1.00:00:00", false)]
    [InlineData("01:00:00", true)]
    public async Task Host_WithATokenLifetimeAboveOneHour_RefusesToStart(string lifetime, bool starts)
    {
        var configuration = host.HostConfiguration();
        configuration["Auth:TokenLifetime"] = lifetime;
        await using var factory = GatewayHost.CreateFactory(configuration);

        var error = Record.Exception(() => factory.Server);

        if (starts)
        {
            Assert.Null(error);
        }
        else
        {
            Assert.Contains("Auth:TokenLifetime", Assert.IsType<OptionsValidationException>(error).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Host_InProductionWithTheDevelopmentKey_RefusesToStart()
    {
        var configuration = host.HostConfiguration();
        configuration["Auth:SigningKeys:0"] = AuthOptionsValidator.DevelopmentSigningKey;
        await using var factory = GatewayHost.CreateFactory(configuration, builder => builder.UseEnvironment(Environments.Production));

        var error = Assert.Throws<OptionsValidationException>(() => factory.Server);

        Assert.Contains("Auth:SigningKeys", error.Message, StringComparison.Ordinal);
    }

    private static ValidateOptionsResult Validate(string environment, params string[] keys) =>
        new AuthOptionsValidator(new HostingEnvironment { EnvironmentName = environment })
            .Validate(Options.DefaultName, new AuthOptions { SigningKeys = [.. keys] });
}
