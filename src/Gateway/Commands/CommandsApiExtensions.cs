using Messaging.Resilience.Signing;
using Messaging.Store.Outbox;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Commands;

/// <summary>Wires the commands API: options, the store, the outbox signal and the endpoints.</summary>
internal static class CommandsApiExtensions
{
    /// <summary>
    /// Registers what <see cref="MapCommandsApi"/> needs. Expects the <c>NpgsqlDataSource</c> of
    /// <c>AddMessagingPostgres()</c>, the <c>commands</c> authorization policy and problem details
    /// (<c>AddServiceDefaults()</c>, which adds <c>traceId</c>), and for the fallback the bus
    /// (<c>AddMessagingBus()</c>, <c>AddCommandTopology()</c>), Redis (<c>AddMessagingRedis()</c>) and the
    /// infrastructure pipelines; rows are delivered by
    /// the outbox relay (<c>AddOutboxRelay()</c>) of this or another process.
    /// </summary>
    public static WebApplicationBuilder AddCommandsApi(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<CommandsOptions>()
            .Bind(builder.Configuration.GetSection(CommandsOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // Checked where the retention job registers its options (AddOutboxRelay): commands outlive their keys.
        builder.Services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>();
        builder.AddOutbox(); // OutboxWriter and OutboxSignal, unless the relay registered them already
        builder.Services.AddGroupCommit(builder.Configuration);
        builder.Services.AddSingleton<CommandStore>();

        // The fallback chain (docs/security.md): direct publish while PostgreSQL is down, keys in Redis, stale reads.
        builder.Services.AddOptions<OutageFallbackOptions>()
            .Bind(builder.Configuration.GetSection(OutageFallbackOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<FallbackIdempotencyKeys>();
        builder.Services.AddMessageSigning(); // directly published commands are signed
        builder.Services.AddSingleton<DirectCommandPublisher>();
        builder.Services.AddSingleton<CommandStatusCache>();
        builder.Services.AddSingleton<CommandFallback>();
        builder.AddCallbackOrigins();
        return builder;
    }

    /// <summary>
    /// Binds <see cref="CallbackOriginsOptions"/> from <c>Tenants:&lt;tenant&gt;:CallbackOrigins</c> (a section per tenant, so
    /// not a plain <c>Bind</c>), validated on start and read again on change, and the check that uses it. Safe to call more than
    /// once (the API and the <c>clients</c> command line both need it).
    /// </summary>
    internal static IHostApplicationBuilder AddCallbackOrigins(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(CallbackUrls)))
        {
            return builder;
        }

        var section = builder.Configuration.GetSection(CallbackOriginsOptions.SectionName);
        builder.Services.AddOptions<CallbackOriginsOptions>()
            .Configure(options =>
            {
                foreach (var tenant in section.GetChildren())
                {
                    var origins = tenant.GetSection(CallbackOriginsOptions.OriginsKey).GetChildren().Select(o => o.Value ?? "").ToList();
                    if (origins.Count > 0)
                    {
                        options.Tenants[tenant.Key] = origins;
                    }
                }
            })
            .ValidateOnStart();
        builder.Services.AddSingleton<IOptionsChangeTokenSource<CallbackOriginsOptions>>(
            new ConfigurationChangeTokenSource<CallbackOriginsOptions>(section));
        builder.Services.AddSingleton<IValidateOptions<CallbackOriginsOptions>, CallbackOriginsOptionsValidator>();
        builder.Services.AddSingleton<CallbackUrls>();
        return builder;
    }

    /// <summary>
    /// Maps <c>/api/commands</c> (policy <c>commands</c>); returns the whole group and, apart, the accept route
    /// (the critical path, which gets its own bulkhead and timeout) and the read routes.
    /// </summary>
    public static CommandsRoutes MapCommandsApi(this IEndpointRouteBuilder endpoints) => endpoints.MapCommandsEndpoints();
}

/// <summary>The routes of the commands API, for conventions.</summary>
/// <param name="All">Every route under <c>/api/commands</c>.</param>
/// <param name="Accept"><c>POST /api/commands/{type}</c> and <c>POST /api/commands/batch</c>: authenticate, validate, accept durably.</param>
/// <param name="Reads"><c>GET /api/commands/{id}</c>, <c>GET /api/commands</c> and <c>POST /api/commands/{id}/cancel</c> (one short statement).</param>
internal sealed record CommandsRoutes(RouteGroupBuilder All, RouteGroupBuilder Accept, RouteGroupBuilder Reads);
