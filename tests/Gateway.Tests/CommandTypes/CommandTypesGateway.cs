using Messaging.CommandTypes;
using Messaging.Contracts.Commands;
using Messaging.Gateway.Commands;
using Messaging.Gateway.Tests.Commands;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Messaging.Gateway.Tests.CommandTypes;

/// <summary>
/// The gateway with two command types of the tests' own besides the built-in ones and the sample: <c>tests.extra</c>,
/// added through its registration alone (<c>AddCommandType</c>, as a module would), and <c>tests.configured</c>, a
/// type declared in configuration alone (<c>Kind = http</c>, with its JSON Schema). <c>payments.charge</c>'s default
/// timeout is configured to 30 minutes, so the effective value is what is served.
/// </summary>
public sealed class CommandTypesGateway : CommandsApiFixture
{
    public const string ExtraType = "tests.extra";
    public const string ConfiguredType = "tests.configured";

    public const string ConfiguredSchema =
        """{"type":"object","properties":{"sku":{"type":"string","minLength":1},"quantity":{"type":"integer","minimum":1}},"required":["sku"],"additionalProperties":false}""";

    /// <summary>
    /// Every type the gateway accepts, in registration order: the registry's that have a request (not <c>callbacks.deliver</c>),
    /// ending with the tests' two.
    /// </summary>
    public IReadOnlyList<string> AcceptedTypes =>
        [.. Services.GetRequiredService<CommandTypeRegistry>().All.Where(CommandRequests.IsSupported).Select(d => d.TypeName)];

    public override IDictionary<string, string?> HostConfiguration()
    {
        var configuration = base.HostConfiguration();
        configuration["Commands:Types:payments.charge:DefaultTimeout"] = "00:30:00";
        configuration[$"Commands:Types:{ConfiguredType}:Kind"] = "http";
        configuration[$"Commands:Types:{ConfiguredType}:Provider"] = "tests";
        configuration[$"Commands:Types:{ConfiguredType}:Http:Path"] = "/v1/orders/{sku}";
        configuration[$"Commands:Types:{ConfiguredType}:Schema"] = ConfiguredSchema;
        return configuration;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => AddModule(services, host =>
            host.AddCommandType<ExtraCommand>(ExtraType)
                .WithRequest<ExtraRequest>()
                .WithDefaultTimeout(TimeSpan.FromMinutes(5))
                .UsesProvider("tests")));
    }

    /// <summary>Adds what <paramref name="module"/> registers on a host builder to <paramref name="services"/> (the gateway's).</summary>
    private static void AddModule(IServiceCollection services, Action<IHostApplicationBuilder> module)
    {
        var host = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var before = host.Services.ToHashSet();
        module(host);
        foreach (var descriptor in host.Services.Where(d => !before.Contains(d)))
        {
            services.Add(descriptor);
        }
    }
}

/// <summary>The request of <c>tests.extra</c>: <c>sku</c> and <c>quantity</c> required, <c>note</c> optional.</summary>
internal sealed class ExtraRequest : CommandRequest<ExtraCommand>
{
    public string? Sku { get; init; }

    public int? Quantity { get; init; }

    public string? Note { get; init; }

    public override void Validate(ValidationErrors errors)
    {
        if (string.IsNullOrEmpty(Sku))
        {
            errors.Add("sku", "The sku is required.");
        }

        if (Quantity is not > 0)
        {
            errors.Add("quantity", "The quantity must be at least 1.");
        }
    }

    public override CommandRequest Normalise() => this;

    public override ExtraCommand ToCommand(Guid commandId, string tenant) =>
        new() { CommandId = commandId, Tenant = tenant, Sku = Sku!, Quantity = Quantity!.Value, Note = Note };
}
