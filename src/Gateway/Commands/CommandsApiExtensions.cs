using Messaging.Resilience.Outbox;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Commands;

/// <summary>Wires the commands API: options, the store, the outbox signal and the endpoints.</summary>
internal static class CommandsApiExtensions
{
    /// <summary>
    /// Registers what <see cref="MapCommandsApi"/> needs. Expects the <c>NpgsqlDataSource</c> of
    /// <c>AddMessagingPostgres()</c>, the <c>commands</c> authorization policy and problem details
    /// (<c>AddServiceDefaults()</c>, which adds <c>traceId</c>); rows are delivered by
    /// the outbox relay (<c>AddOutboxRelay()</c>) of this or another process.
    /// </summary>
    public static WebApplicationBuilder AddCommandsApi(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<CommandsOptions>()
            .Bind(builder.Configuration.GetSection(CommandsOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CommandsOptions>, CommandsOptionsValidator>());
        builder.AddOutbox(); // OutboxWriter and OutboxSignal, unless the relay registered them already
        builder.Services.AddGroupCommit(builder.Configuration);
        builder.Services.AddSingleton<CommandStore>();
        return builder;
    }

    /// <summary>Maps <c>/api/commands</c> (policy <c>commands</c>); returns the group for route-wide conventions.</summary>
    public static RouteGroupBuilder MapCommandsApi(this IEndpointRouteBuilder endpoints) => endpoints.MapCommandsEndpoints();
}
