using Messaging.Gateway.Clients;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Tests.Clients;

public sealed class ClientSecretHashingOptionsValidationTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    private const string Pepper32 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes
    private const string Pepper31 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZQ=="; // 31 bytes

    [Fact]
    public void Validate_OnePepperWithoutCurrent_Succeeds()
    {
        Assert.True(Validate("Production", null, ("p1", Pepper32)).Succeeded);
    }

    [Fact]
    public void Validate_NoPepper_FailsNamingSecretPeppers()
    {
        var result = Validate("Production", null);

        Assert.True(result.Failed);
        Assert.Contains("Auth:SecretPeppers is required", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not base64!", "Auth:SecretPeppers:p1 is not base64")]
    [InlineData("", "Auth:SecretPeppers:p1 is shorter than 32 bytes")]
    [InlineData(Pepper31, "Auth:SecretPeppers:p1 is shorter than 32 bytes")]
    public void Validate_ABadPepper_FailsNamingItsKey(string pepper, string expected)
    {
        var result = Validate("Production", null, ("p1", pepper));

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("has$dollar")]
    [InlineData("has space")]
    [InlineData("a-pepper-id-longer-than-32-chars-x")]
    public void Validate_ABadPepperId_FailsNamingIt(string id)
    {
        var result = Validate("Production", id, (id, Pepper32));

        Assert.True(result.Failed);
        Assert.Contains($"Auth:SecretPeppers:{id}: a pepper id is", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SeveralPeppersWithoutCurrent_FailsNamingCurrentSecretPepper()
    {
        var result = Validate("Production", null, ("old", Pepper32), ("new", Pepper32));

        Assert.True(result.Failed);
        Assert.Contains("Auth:CurrentSecretPepper is required", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(Validate("Production", "new", ("old", Pepper32), ("new", Pepper32)).Succeeded);
    }

    [Fact]
    public void Validate_ACurrentPepperThatIsNotConfigured_FailsNamingIt()
    {
        var result = Validate("Production", "p2", ("p1", Pepper32));

        Assert.True(result.Failed);
        Assert.Contains("Auth:CurrentSecretPepper names 'p2', which is not under Auth:SecretPeppers", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Testing")]
    public void Validate_TheDevelopmentPepperOutsideDevelopment_Fails_EvenAsAnOldPepper(string environment)
    {
        var result = Validate(environment, "p1", ("p1", Pepper32), ("dev", ClientSecretHashingOptionsValidator.DevelopmentPepper));

        Assert.True(result.Failed);
        Assert.Contains("Auth:SecretPeppers:dev is the development-only pepper", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(Validate(Environments.Development, null, ("dev", ClientSecretHashingOptionsValidator.DevelopmentPepper)).Succeeded);
    }

    [Fact]
    public async Task Host_WithoutAPepper_RefusesToStart()
    {
        var configuration = host.HostConfiguration();
        configuration.Remove("Auth:SecretPeppers:" + GatewayHost.TestSecretPepperId);
        await using var factory = GatewayHost.CreateFactory(configuration);

        var error = Assert.Throws<OptionsValidationException>(() => factory.Server);

        Assert.Contains("Auth:SecretPeppers", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_InProductionWithTheDevelopmentPepper_RefusesToStart()
    {
        var configuration = host.HostConfiguration();
        configuration["Auth:SecretPeppers:" + GatewayHost.TestSecretPepperId] = ClientSecretHashingOptionsValidator.DevelopmentPepper;
        await using var factory = GatewayHost.CreateFactory(configuration, builder => builder.UseEnvironment(Environments.Production));

        var error = Assert.Throws<OptionsValidationException>(() => factory.Server);

        Assert.Contains("development-only pepper", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientsAdd_WithoutAPepper_ExitsWith1NamingSecretPeppers()
    {
        var configuration = host.HostConfiguration();
        configuration.Remove("Auth:SecretPeppers:" + GatewayHost.TestSecretPepperId);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await ClientsCommandLine.RunAsync(["add", "--tenant", "acme", "--scopes", "commands"], stdout, stderr, configuration, TestContext.Current.CancellationToken);

        Assert.Equal(ClientsCommandLine.Failure, exitCode);
        Assert.Equal("", stdout.ToString());
        Assert.Contains("Auth:SecretPeppers", stderr.ToString(), StringComparison.Ordinal);
    }

    private static ValidateOptionsResult Validate(string environment, string? current, params (string Id, string Pepper)[] peppers)
    {
        var options = new ClientSecretHashingOptions { CurrentSecretPepper = current };
        foreach (var (id, pepper) in peppers)
        {
            options.SecretPeppers[id] = pepper;
        }

        return new ClientSecretHashingOptionsValidator(new HostingEnvironment { EnvironmentName = environment }).Validate(Options.DefaultName, options);
    }
}
