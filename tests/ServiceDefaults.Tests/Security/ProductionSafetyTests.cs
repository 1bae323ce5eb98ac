using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.ServiceDefaults.Tests.Security;

/// <summary>
/// A host in Production (both hosts start through AddServiceDefaults) refuses the passwords shipped with the repository
/// and plain http beyond loopback; other environments are not checked.
/// </summary>
public sealed class ProductionSafetyTests
{
    private const string ShippedPostgres = "Host=127.0.0.1;Port=1;Database=messaging;Username=messaging;Password=messaging;Timeout=2";
    private const string ShippedRabbitMq = "amqp://guest:guest@127.0.0.1:5672/";

    [Theory]
    [InlineData("ConnectionStrings:Postgres", ShippedPostgres, "ConnectionStrings:Postgres")]
    [InlineData("ConnectionStrings:RabbitMq", ShippedRabbitMq, "ConnectionStrings:RabbitMq")]
    [InlineData("ConnectionStrings:RabbitMq", "amqp://127.0.0.1:5672/", "ConnectionStrings:RabbitMq")] // no user: the client logs in as guest
    [InlineData("RabbitMq:Management:Url", "https://guest:guest@rabbit.internal:15671/", "RabbitMq:Management:Url")]
    public async Task Start_InProduction_WithAShippedPassword_FailsNamingTheKey(string key, string value, string named)
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestApplication.StartAsync(new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.Contains("Security:AllowDefaultCredentials", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("guest:guest@", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_InProduction_WithShippedPasswordsAllowed_StartsAndLogsAWarningNamingThem()
    {
        await using var app = await TestApplication.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = ShippedPostgres,
            ["ConnectionStrings:RabbitMq"] = ShippedRabbitMq,
            ["Security:AllowDefaultCredentials"] = "true",
        });

        var warning = Assert.Single(app.Logs.GetSnapshot(), r => r.Id.Name == "DefaultCredentialsAllowed");
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("ConnectionStrings:Postgres", warning.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:RabbitMq", warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Testing")]
    [InlineData("Development")]
    public async Task Start_OutsideProduction_WithShippedPasswords_Starts(string environment)
    {
        await using var app = await TestApplication.StartAsync(
            new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = ShippedPostgres, ["ExternalServices:Payments:Endpoints:0"] = "http://payments.example.com" },
            environment);

        Assert.DoesNotContain(app.Logs.GetSnapshot(), r => r.Id.Name == "DefaultCredentialsAllowed");
    }

    [Theory]
    [InlineData("ExternalServices:Payments:Endpoints:1", "http://payments.example.com/")]
    [InlineData("ExternalServices:Payments:TokenUrl", "http://10.0.0.7:5091/oauth/token")]
    [InlineData("ExternalServices:crm:Endpoints:0", "http://crm.internal:8080")] // a type declared in configuration alone
    [InlineData("ExternalServices:crm:Auth:TokenUrl", "http://login.example.com/token")]
    public async Task Start_InProduction_WithPlainHttpBeyondLoopback_FailsNamingTheKey(string key, string url)
    {
        var configuration = new Dictionary<string, string?> { ["ExternalServices:Payments:Endpoints:0"] = "https://payments.example.com", [key] = url };

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestApplication.StartAsync(configuration));

        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://payments.example.com")]
    [InlineData("http://127.0.0.1:5091")]
    [InlineData("http://localhost:5091/")]
    [InlineData("http://[::1]:5091/")]
    public async Task Start_InProduction_WithHttpsOrLoopbackEndpoints_Starts(string url)
    {
        await using var app = await TestApplication.StartAsync(new Dictionary<string, string?>
        {
            ["ExternalServices:Payments:Endpoints:0"] = url,
            ["ExternalServices:Payments:TokenUrl"] = url + "/oauth/token",
        });

        Assert.NotNull(app.Client);
    }

    [Fact]
    public async Task Start_InProduction_WithPlainHttpInASectionAHostAdded_FailsNamingTheKey()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestApplication.StartAsync(
            new Dictionary<string, string?> { ["Partners:Ledger:Endpoints:0"] = "http://ledger.example.com" },
            configureBuilder: builder => builder.RequireSecureUrlsInProduction("Partners")));

        Assert.Contains("Partners:Ledger:Endpoints:0", ex.Message, StringComparison.Ordinal);
    }
}
