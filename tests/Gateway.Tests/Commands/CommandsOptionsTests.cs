using Messaging.Contracts.Commands;
using Messaging.Gateway.Commands;
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
        var options = Resolve([]);

        Assert.Equal(TimeSpan.FromHours(24), options.IdempotencyRetention);
        Assert.Equal(TimeSpan.FromHours(1), options.DefaultTimeoutFor("payments.charge"));
        Assert.Equal(TimeSpan.FromDays(1), options.DefaultTimeoutFor("notifications.send"));
    }

    [Fact]
    public void Options_OverridingOneType_KeepsTheOtherTypesDefault()
    {
        var options = Resolve(new() { ["Commands:Types:payments.charge:DefaultTimeout"] = "00:05:00", ["Commands:IdempotencyRetention"] = "2.00:00:00" });

        Assert.Equal(TimeSpan.FromMinutes(5), options.DefaultTimeoutFor("payments.charge"));
        Assert.Equal(TimeSpan.FromDays(1), options.DefaultTimeoutFor("notifications.send"));
        Assert.Equal(TimeSpan.FromDays(2), options.IdempotencyRetention);
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

    [Fact]
    public void Catalog_EveryCommandType_IsAcceptedByTheGateway()
    {
        Assert.All(CommandCatalog.All, descriptor => Assert.True(CommandRequests.IsSupported(descriptor), descriptor.TypeName));
    }

    private static CommandsOptions Resolve(Dictionary<string, string?> configuration)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddCommandsApi();
        using var services = builder.Services.BuildServiceProvider();
        return services.GetRequiredService<IOptions<CommandsOptions>>().Value;
    }
}
