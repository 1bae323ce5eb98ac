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
        var result = Validate("Production", GatewayHost.TestSigningKey, new string('k', 31));

        Assert.True(result.Failed);
        Assert.Contains("Auth:SigningKeys:1", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(Validate("Production", new string('k', 32)).Succeeded);
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
