using Messaging.CommandTypes.BuiltIn;
using Messaging.CommandTypes;
using Messaging.Gateway.Commands;
using Messaging.Store.Outbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Tests.Commands;

public sealed class CommandsOptionsTests
{
    [Fact]
    public void Options_WithoutConfiguration_HaveTheDocumentedDefaults()
    {
        var (options, types) = Resolve([]);

        Assert.Equal(TimeSpan.FromHours(24), options.IdempotencyRetention);
        Assert.Equal(TimeSpan.FromHours(1), types.Get("payments.charge").DefaultTimeout);
        Assert.Equal(TimeSpan.FromDays(1), types.Get("notifications.send").DefaultTimeout);
    }

    [Fact]
    public void Options_OverridingOneType_KeepsTheOtherTypesDefault()
    {
        var (options, types) = Resolve(new() { ["Commands:Types:payments.charge:DefaultTimeout"] = "00:05:00", ["Commands:IdempotencyRetention"] = "2.00:00:00" });

        Assert.Equal(TimeSpan.FromMinutes(5), types.Get("payments.charge").DefaultTimeout);
        Assert.Equal(TimeSpan.FromDays(1), types.Get("notifications.send").DefaultTimeout);
        Assert.Equal(TimeSpan.FromDays(2), options.IdempotencyRetention);
    }

    [Fact]
    public void Options_TypeKeyInAnotherCase_SetTheRegisteredType()
    {
        // What COMMANDS__TYPES__PAYMENTS.CHARGE__DEFAULTTIMEOUT becomes: the same type, not a second one.
        var (_, types) = Resolve(new() { ["COMMANDS:TYPES:PAYMENTS.CHARGE:DEFAULTTIMEOUT"] = "00:07:00" });

        Assert.Equal(TimeSpan.FromMinutes(7), types.Get("payments.charge").DefaultTimeout);
    }

    [Theory]
    [InlineData("Commands:Types:payments.refund:DefaultTimeout", "00:05:00", "Commands:Types:payments.refund")]
    [InlineData("Commands:Types:payments.charge:DefaultTimeout", "00:00:00", "Commands:Types:payments.charge:DefaultTimeout")]
    [InlineData("Commands:Types:notifications.send:DefaultTimeout", "1.00:00:01", "Commands:Types:notifications.send:DefaultTimeout")]
    [InlineData("Commands:IdempotencyRetention", "01:00:00", "IdempotencyRetention")]
    public void Options_Invalid_FailWithTheKeyNamed(string key, string value, string named)
    {
        var exception = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [key] = value }));

        Assert.Contains(named, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.00:00:00", "2.00:00:00")]
    [InlineData("29.23:59:59", "30.00:00:00")]
    public void RetentionOfCommands_ShorterThanIdempotencyRetention_FailsNamingBothKeys(string commands, string keys)
    {
        var exception = Assert.Throws<OptionsValidationException>(
            () => Resolve(new() { ["Retention:Commands"] = commands, ["Commands:IdempotencyRetention"] = keys }));

        Assert.Contains("Retention:Commands", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Commands:IdempotencyRetention", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetentionOfCommands_AsLongAsIdempotencyRetention_IsAccepted()
    {
        var (options, _) = Resolve(new() { ["Retention:Commands"] = "2.00:00:00", ["Commands:IdempotencyRetention"] = "2.00:00:00" });

        Assert.Equal(TimeSpan.FromDays(2), options.IdempotencyRetention);
    }

    [Fact]
    public void Registry_EveryBuiltInTypeButCallbackDelivery_IsAcceptedByTheGateway()
    {
        var registry = BuiltInCommandTypes.Registry;

        Assert.Equal(["payments.charge", "notifications.send", "callbacks.deliver"], registry.All.Select(d => d.TypeName));
        Assert.Equal(["payments.charge", "notifications.send"], registry.All.Where(CommandRequests.IsSupported).Select(d => d.TypeName));
    }

    private static (CommandsOptions Options, IOptionsMonitor<CommandTypeOptions> Types) Resolve(Dictionary<string, string?> configuration)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Configuration["Messaging:SigningKeys:0"] = Messaging.Testing.ServicesFixture.MessageSigningKey; // the direct publisher's, validated at start too
        builder.AddBuiltInCommandTypes();
        builder.AddCommandsApi();
        builder.AddOutboxCleanup(); // as AddOutboxRelay does in the gateway: its Retention options are checked against Commands
        using var services = builder.Services.BuildServiceProvider();
        services.GetRequiredService<IStartupValidator>().Validate();
        return (services.GetRequiredService<IOptions<CommandsOptions>>().Value, services.GetRequiredService<IOptionsMonitor<CommandTypeOptions>>());
    }
}
