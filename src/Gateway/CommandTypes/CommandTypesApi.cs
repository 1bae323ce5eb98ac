using System.Text.Json;
using Messaging.CommandTypes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.CommandTypes;

/// <summary><c>GET /api/command-types</c> (scope <c>commands</c>): the types this gateway accepts, with their schemas.</summary>
internal static class CommandTypesApi
{
    /// <summary>Registers <see cref="CommandTypeSchemas"/> (the OpenAPI document uses it too).</summary>
    public static WebApplicationBuilder AddCommandTypesApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CommandTypeSchemas>();
        return builder;
    }

    /// <summary>Maps <c>GET /api/command-types</c>; the caller adds the rate limits and resilience of the command reads.</summary>
    public static RouteHandlerBuilder MapCommandTypesApi(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/api/command-types", List)
            .RequireAuthorization(GatewayClaims.CommandsScope)
            .WithName("ListCommandTypes")
            .WithTags("Command types")
            .WithSummary("The command types this gateway accepts, with the JSON Schema of each request body");

    private static Ok<CommandTypeList> List(CommandTypeSchemas schemas, IOptionsMonitor<CommandTypeOptions> options) =>
        TypedResults.Ok(new CommandTypeList([.. schemas.Accepted.Select(type =>
        {
            var timeout = options.Get(type.Descriptor.TypeName).DefaultTimeout;
            return new CommandTypeView(type.Descriptor.TypeName, type.Descriptor.Provider, timeout, (long)timeout.TotalSeconds, type.Schema);
        })]));
}

/// <summary>The body of <c>GET /api/command-types</c>.</summary>
internal sealed record CommandTypeList(IReadOnlyList<CommandTypeView> Items);

/// <summary>One accepted command type.</summary>
/// <param name="Name">The type name, as in <c>POST /api/commands/{name}</c>.</param>
/// <param name="Provider">The provider that executes it (its breakers are named <c>{provider}@host:port</c>).</param>
/// <param name="DefaultTimeout">The deadline of a command sent without <c>Command-Timeout</c>, as configured now (<c>01:00:00</c>, <c>1.00:00:00</c>).</param>
/// <param name="DefaultTimeoutSeconds">The same in seconds.</param>
/// <param name="Schema">The JSON Schema (draft 2020-12) of the request body.</param>
internal sealed record CommandTypeView(string Name, string Provider, TimeSpan DefaultTimeout, long DefaultTimeoutSeconds, JsonElement Schema);
