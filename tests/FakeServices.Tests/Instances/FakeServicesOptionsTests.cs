using Messaging.FakeServices.Instances;
using Messaging.FakeServices.Providers;
using Microsoft.Extensions.Configuration;

namespace Messaging.FakeServices.Tests.Instances;

public sealed class FakeServicesOptionsTests
{
    private readonly FakeServicesOptionsValidator _validator = new();

    [Fact]
    public void Defaults_AreValidAndServeFiveInstances()
    {
        var options = new FakeServicesOptions();

        Assert.True(_validator.Validate(null, options).Succeeded);
        Assert.Equal(5, options.Instances.Count);
        Assert.Equal(ProviderKind.Shipping, options.Instances[FakeServicesDefaults.Shipping].Provider);
        Assert.Equal(FakeServicesDefaults.ShippingUrl, options.Instances[FakeServicesDefaults.Shipping].Url);
        Assert.Equal(ProviderKind.Crm, options.Instances[FakeServicesDefaults.Crm].Provider);
        Assert.Equal("http://127.0.0.1:5095", options.Instances[FakeServicesDefaults.Crm].Url);
        Assert.Equal(
            (CrmAuthMode.Basic, "gateway", "fake-crm-password", "fake-crm-key"),
            (options.Crm.Auth, options.Crm.Username, options.Crm.Password, options.Crm.ApiKey));
    }

    [Fact]
    public void Bind_WithOnlyOneUrl_MovesThatInstanceAndKeepsTheOthers()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FakeServices:Instances:payments-secondary:Url"] = "http://127.0.0.1:6092",
        }).Build();
        var options = new FakeServicesOptions();

        configuration.GetSection(FakeServicesOptions.SectionName).Bind(options);

        Assert.Equal("http://127.0.0.1:6092", options.Instances[FakeServicesDefaults.PaymentsSecondary].Url);
        Assert.Equal(ProviderKind.Payments, options.Instances[FakeServicesDefaults.PaymentsSecondary].Provider);
        Assert.Equal(FakeServicesDefaults.PaymentsPrimaryUrl, options.Instances[FakeServicesDefaults.PaymentsPrimary].Url);
        Assert.Equal(ProviderKind.Notifications, options.Instances[FakeServicesDefaults.Notifications].Provider);
        Assert.Equal(ProviderKind.Crm, options.Instances[FakeServicesDefaults.Crm].Provider);
    }

    [Fact]
    public void Bind_WithCrmSettings_ReadsTheAuthModeByName()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FakeServices:Instances:crm:Url"] = "http://127.0.0.1:6095",
            ["FakeServices:Crm:Auth"] = "bearer",
            ["FakeServices:Crm:ApiKey"] = "another-key",
        }).Build();
        var options = new FakeServicesOptions();

        configuration.GetSection(FakeServicesOptions.SectionName).Bind(options);

        Assert.Equal(("http://127.0.0.1:6095", ProviderKind.Crm), (options.Instances[FakeServicesDefaults.Crm].Url, options.Instances[FakeServicesDefaults.Crm].Provider));
        Assert.Equal((CrmAuthMode.Bearer, "another-key"), (options.Crm.Auth, options.Crm.ApiKey));
        Assert.True(_validator.Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5091", "port 5091 is already used")]
    [InlineData("https://127.0.0.1:6000", "not an absolute http://")]
    [InlineData("http://127.0.0.1:0", "port must be between 1 and 65535")]
    [InlineData("http://example.com:6000", "host must be an IP address")]
    [InlineData("http://127.0.0.1:6000/base", "must not have a path")]
    [InlineData("", "required")]
    public void Validate_WithBadSecondaryUrl_FailsNamingTheKey(string url, string expected)
    {
        var options = new FakeServicesOptions();
        options.Instances[FakeServicesDefaults.PaymentsSecondary].Url = url;

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith("FakeServices:Instances:payments-secondary:Url", failure, StringComparison.Ordinal);
        Assert.Contains(expected, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithWildcardAndLocalhostHosts_Succeeds()
    {
        var options = new FakeServicesOptions();
        options.Instances[FakeServicesDefaults.PaymentsPrimary].Url = "http://*:6091";
        options.Instances[FakeServicesDefaults.PaymentsSecondary].Url = "http://localhost:6092";

        Assert.True(_validator.Validate(null, options).Succeeded);
    }

    [Fact]
    public void Validate_WithEmptySecretsAndValuesOutOfRange_ReportsEachKey()
    {
        var options = new FakeServicesOptions();
        options.Payments.ClientSecret = "";
        options.Payments.TokenLifetimeSeconds = 0;
        options.Notifications.ApiKey = "";
        options.Shipping.ApiKey = "";
        options.Crm.Auth = (CrmAuthMode)42;
        options.Crm.Username = "user:name";
        options.Crm.Password = "";
        options.Crm.ApiKey = "";
        options.Crm.MaxRecordedRequests = -1;

        var failures = _validator.Validate(null, options).Failures!.ToList();

        Assert.Contains(failures, f => f.StartsWith("FakeServices:Payments:ClientSecret", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("FakeServices:Payments:TokenLifetimeSeconds", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("FakeServices:Notifications:ApiKey", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("FakeServices:Shipping:ApiKey", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("FakeServices:Crm:Auth", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("FakeServices:Crm:Username", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("FakeServices:Crm:Password", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("FakeServices:Crm:ApiKey", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("FakeServices:Crm:MaxRecordedRequests", StringComparison.Ordinal));
    }
}
