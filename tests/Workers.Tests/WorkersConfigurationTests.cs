using Messaging.Workers.Callbacks;
using Messaging.CommandTypes.BuiltIn;
using Messaging.Store.Persistence;
using Messaging.Resilience.RateLimiting;
using Messaging.Workers.Execution;
using Messaging.CommandTypes;
using Messaging.CommandTypes.Providers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Workers.Tests;

/// <summary>
/// Invalid configuration stops the Workers host at start, with a message naming the key. The host is
/// built from the same extension methods as Program.cs and validated without starting it, so no
/// service is contacted. (WebApplicationFactory races its own disposal when start fails, and then
/// reports an ObjectDisposedException instead of the validation error.)
/// </summary>
public sealed class WorkersConfigurationTests
{
    private static Dictionary<string, string?> ValidConfiguration() => new()
    {
        ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Database=messaging;Username=messaging;Password=messaging",
        ["ConnectionStrings:RabbitMq"] = "amqp://guest:guest@127.0.0.1:5672/",
        ["ConnectionStrings:Redis"] = "127.0.0.1:6379",
        ["Messaging:SigningKeys:0"] = "dGVzdHMtbWVzc2FnZS1zaWduaW5nLWtleS0wMTIzNDU2Nzg5",
        ["ExternalServices:Payments:Endpoints:0"] = "http://127.0.0.1:5091",
        ["ExternalServices:Payments:Endpoints:1"] = "http://127.0.0.1:5092/",
        ["ExternalServices:Payments:TokenUrl"] = "http://127.0.0.1:5091/oauth/token",
        ["ExternalServices:Payments:ClientId"] = "gateway-workers",
        ["ExternalServices:Payments:ClientSecret"] = "fake-payments-secret",
        ["ExternalServices:Notifications:Endpoints:0"] = "http://127.0.0.1:5093",
        ["ExternalServices:Notifications:ApiKey"] = "fake-notifications-key",
    };

    [Fact]
    public void Validate_WithCompleteConfiguration_Passes()
    {
        using var app = Build(ValidConfiguration());

        app.Services.GetRequiredService<IStartupValidator>().Validate();

        var options = app.Services.GetRequiredService<IOptionsMonitor<CommandTypeOptions>>().Get("payments.charge");
        Assert.Equal(8, options.Flow.ConcurrencyLimit);
        Assert.Equal(5, options.Retry.MaxAttempts);
        Assert.True(options.Fallback.Enabled);
    }

    [Theory]
    [InlineData("ExternalServices:Payments:ClientSecret", "", "ExternalServices:Payments:ClientSecret")]
    [InlineData("ExternalServices:Payments:ClientId", "", "ExternalServices:Payments:ClientId")]
    [InlineData("ExternalServices:Payments:TokenUrl", "", "ExternalServices:Payments:TokenUrl")]
    [InlineData("ExternalServices:Payments:TokenUrl", "/oauth/token", "ExternalServices:Payments:TokenUrl")]
    [InlineData("ExternalServices:Payments:Endpoints:0", "ftp://127.0.0.1:5091", "ExternalServices:Payments:Endpoints")]
    [InlineData("ExternalServices:Payments:Endpoints:1", "127.0.0.1:5092", "ExternalServices:Payments:Endpoints")]
    [InlineData("ExternalServices:Notifications:Endpoints:0", "not a url", "ExternalServices:Notifications:Endpoints")]
    [InlineData("ExternalServices:Notifications:ApiKey", "", "ExternalServices:Notifications:ApiKey")]
    [InlineData("ExternalServices:TokenRefresh:LifetimeFraction", "1.5", "ExternalServices:TokenRefresh:LifetimeFraction")]
    [InlineData("Commands:Types:payments.charge:Flow:ConcurrencyLimit", "0", "Commands:Types:payments.charge:Flow:ConcurrencyLimit")]
    [InlineData("Commands:Types:payments.charge:Flow:RampStepInterval", "00:00:00", "Commands:Types:payments.charge:Flow:RampStepInterval")]
    [InlineData("Commands:Types:notifications.send:Retry:MaxAttempts", "0", "Commands:Types:notifications.send:Retry:MaxAttempts")]
    [InlineData("Commands:Types:notifications.send:Retry:BaseDelay", "00:00:00", "Commands:Types:notifications.send:Retry:BaseDelay")]
    [InlineData("Commands:Types:payments.charge:Retry:MaxDelay", "00:00:01", "Commands:Types:payments.charge:Retry:MaxDelay")]
    [InlineData("Resilience:Dependencies:payments:AttemptTimeout", "00:02:00", "Resilience:Dependencies:payments:TotalTimeout")]
    [InlineData("Resilience:Dependencies:payments.token:Retry:BaseDelay", "00:05:00", "Resilience:Dependencies:payments.token:Retry:MaxDelay")]
    [InlineData("Resilience:Dependencies:notifications:TotalTimeout", "00:00:01", "Resilience:Dependencies:notifications:TotalTimeout")]
    [InlineData("Callbacks:MaxConcurrencyPerOrigin", "0", "Callbacks:MaxConcurrencyPerOrigin")]
    [InlineData("Callbacks:MaxConcurrencyPerOrigin", "32", "Commands:Types:callbacks.deliver:Flow:ConcurrencyLimit (32)")]
    [InlineData("Commands:Types:callbacks.deliver:Retry:MaxRetryPeriod", "2.00:00:00", "Commands:Types:callbacks.deliver:Retry:MaxRetryPeriod")]
    [InlineData("Resilience:Dependencies:callbacks:AttemptTimeout", "00:00:20", "Resilience:Dependencies:callbacks:TotalTimeout")]
    public void Validate_WithInvalidSetting_FailsNamingTheKey(string key, string value, string named)
    {
        var configuration = ValidConfiguration();
        configuration[key] = value;
        var ex = StartFails(configuration);

        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithMoreEndpointsThanFailoverCanTry_FailsNamingTheKey()
    {
        var configuration = ValidConfiguration();
        for (var i = 0; i < 12; i++)
        {
            configuration[$"ExternalServices:Payments:Endpoints:{i}"] = $"http://127.0.0.1:{5100 + i}";
        }

        var ex = StartFails(configuration);

        Assert.Contains("ExternalServices:Payments:Endpoints must list at most 11", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Commands:Types:payments.refund:Retry:MaxAttempts", "3", "Commands:Types:payments.refund")]
    [InlineData("Commands:Types:notifications:Flow:ConcurrencyLimit", "3", "Commands:Types:notifications")]
    public void Validate_WithATypeKeyThatNamesNoRegisteredType_FailsNamingTheKey(string key, string value, string named)
    {
        var configuration = ValidConfiguration();
        configuration[key] = value;
        var ex = StartFails(configuration);

        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithATypeKeyInAnotherCase_ConfiguresTheRegisteredType()
    {
        var configuration = ValidConfiguration();
        configuration["COMMANDS:TYPES:PAYMENTS.CHARGE:RETRY:MAXATTEMPTS"] = "3";
        using var app = Build(configuration);

        app.Services.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal(3, app.Services.GetRequiredService<IOptionsMonitor<CommandTypeOptions>>().Get("payments.charge").Retry.MaxAttempts);
    }

    [Fact]
    public void Validate_WithTwoRegistrationsDifferingOnlyInCase_FailsNamingTheType()
    {
        var ex = StartFails(ValidConfiguration(), builder => builder.AddCommandType<Contracts.Payments.ChargePayment>("Payments.Charge")
            .UsesProvider("payments").ExecutedBy<TestChargeHandler>());

        Assert.Contains("'payments.charge' is registered more than once", ex.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> WithDeclaredType(string key = "crm.contact.upsert")
    {
        var configuration = ValidConfiguration();
        configuration[$"Commands:Types:{key}:Kind"] = "http";
        configuration[$"Commands:Types:{key}:Provider"] = "crm";
        configuration[$"Commands:Types:{key}:Http:Path"] = "/v1/contacts";
        configuration[$"Commands:Types:{key}:Schema"] = """{"type":"object"}""";
        configuration["ExternalServices:crm:Endpoints:0"] = "http://127.0.0.1:5095";
        return configuration;
    }

    [Fact]
    public void Validate_WithATypeDeclaredInConfiguration_Passes_AndItsSettingsAreBound()
    {
        var configuration = WithDeclaredType();
        configuration["Commands:Types:crm.contact.upsert:Retry:MaxAttempts"] = "9";
        using var app = Build(configuration);

        app.Services.GetRequiredService<IStartupValidator>().Validate();

        Assert.True(app.Services.GetRequiredService<Contracts.Commands.CommandTypeRegistry>().TryGet("crm.contact.upsert", out var descriptor));
        Assert.Equal("crm", descriptor.Provider);
        Assert.Equal(9, app.Services.GetRequiredService<IOptionsMonitor<CommandTypeOptions>>().Get("crm.contact.upsert").Retry.MaxAttempts);
        Assert.Equal(TimeSpan.FromHours(1), app.Services.GetRequiredService<IOptionsMonitor<CommandTypeOptions>>().Get("crm.contact.upsert").DefaultTimeout);
    }

    [Fact]
    public void Validate_WithADeclaredTypeThatReusesACodeTypesName_FailsNamingIt()
    {
        var ex = StartFails(WithDeclaredType("payments.charge"));

        Assert.Contains("'payments.charge' is registered more than once", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ExternalServices:crm:Endpoints:0", null, "ExternalServices:crm:Endpoints must list at least one")]
    [InlineData("ExternalServices:crm:Auth:Kind", "Basic", "ExternalServices:crm:Auth:Username is required")]
    [InlineData("ExternalServices:crm:Auth:Kind", "ApiKey", "ExternalServices:crm:Auth:Value is required")]
    [InlineData("ExternalServices:crm:Auth:Kind", "OAuth2", "ExternalServices:crm:Auth:TokenUrl must be an absolute http(s) URL")]
    public void Validate_WithADeclaredTypesProviderIncomplete_FailsNamingTheKey(string key, string? value, string named)
    {
        var configuration = WithDeclaredType();
        configuration[key] = value;
        var ex = StartFails(configuration);

        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WithADeclaredProvidersUnknownAuthKind_FailsNamingTheKey()
    {
        var configuration = WithDeclaredType();
        configuration["ExternalServices:crm:Auth:Kind"] = "Kerberos";

        var ex = Assert.Throws<InvalidOperationException>(() => Build(configuration));

        Assert.Contains("ExternalServices:crm:Auth:Kind", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WithATypeWhoseProviderNoModuleDeclares_FailsNamingTheProvider()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Build(ValidConfiguration(), builder =>
            builder.AddCommandType<TestCommand>("tests.undeclared").UsesProvider("nowhere").ExecutedBy<TestCommandHandler>()));

        Assert.Contains("tests.undeclared uses the provider 'nowhere', which no module declares", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WithATypeWithoutAHandler_NeedsNoDeclaredProvider_AndStartsValid()
    {
        using var app = Build(ValidConfiguration(), builder =>
            builder.AddCommandType<TestCommand>("tests.unexecuted").UsesProvider("nowhere"));

        app.Services.GetRequiredService<IStartupValidator>().Validate();
    }

    [Theory]
    [InlineData("")]
    [InlineData("http://127.0.0.1:5672/")]
    [InlineData("127.0.0.1:5672")]
    public void Build_WithoutAmqpUri_FailsNamingTheConnectionString(string value)
    {
        var configuration = ValidConfiguration();
        configuration["ConnectionStrings:RabbitMq"] = value;

        var ex = Assert.Throws<InvalidOperationException>(() => Build(configuration));

        Assert.Contains("ConnectionStrings:RabbitMq", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Builds the host as Program.cs does and validates it as its start would; the validation must fail.</summary>
    private static OptionsValidationException StartFails(Dictionary<string, string?> configuration, Action<WebApplicationBuilder>? modules = null)
    {
        using var app = Build(configuration, modules);
        return Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());
    }

    private static WebApplication Build(Dictionary<string, string?> configuration, Action<WebApplicationBuilder>? modules = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddMessagingPostgres();
        builder.AddProviderQuotas();
        builder.AddBuiltInCommandTypes();
        modules?.Invoke(builder);
        builder.AddConfiguredCommandTypes();
        builder.AddCommandProviders();
        builder.AddCallbackDelivery();
        builder.AddCommandConsumers();
        return builder.Build();
    }
}

internal sealed record TestCommand : Contracts.Commands.ICommandMessage
{
    public required Guid CommandId { get; init; }

    public required string Tenant { get; init; }
}

internal sealed class TestCommandHandler : ICommandHandler<TestCommand>
{
    public Task<CommandResult> HandleAsync(TestCommand command, CommandContext context) => Task.FromResult(CommandResult.Accepted("{}"));
}

internal sealed class TestChargeHandler : ICommandHandler<Contracts.Payments.ChargePayment>
{
    public Task<CommandResult> HandleAsync(Contracts.Payments.ChargePayment command, CommandContext context) => Task.FromResult(CommandResult.Accepted("{}"));
}
