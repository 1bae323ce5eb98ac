using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Messaging.CommandTypes;
using Messaging.CommandTypes.Http;
using Messaging.Contracts.Commands;

namespace Messaging.Gateway.Commands;

/// <summary>Reads and validates the body of a command request for one type.</summary>
internal static class CommandRequests
{
    /// <summary>
    /// Strict reading; camelCase (case-insensitive) names, as the rest of the API. The command types' published
    /// schemas are made with these options too (<c>CommandTypeSchemas</c>), so they describe what is read.
    /// </summary>
    internal static readonly JsonSerializerOptions ReadOptions = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        NumberHandling = JsonNumberHandling.Strict,
        MaxDepth = 8,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(), // what reading would use anyway; the schema exporter wants it said
    };

    /// <summary>
    /// Whether the gateway accepts requests for this type: its registration names a request (<c>WithRequest</c>) or
    /// it declares a JSON Schema (types declared in configuration). The only place this rule is written: the
    /// submit route, <c>GET /api/command-types</c> and the OpenAPI document all ask here.
    /// </summary>
    public static bool IsSupported(CommandDescriptor descriptor) => descriptor.RequestType is not null || descriptor.JsonSchema is not null;

    /// <summary>Parses <paramref name="body"/>; the result is either a JSON error, validation errors, or a valid normalised request.</summary>
    public static CommandRequestReadResult Read(CommandDescriptor descriptor, ReadOnlySpan<byte> body, IServiceProvider? services = null)
    {
        if (descriptor.RequestType is null)
        {
            // Declared in configuration: any JSON object its schema (and its path's fields) accepts.
            var declarations = services?.GetService<HttpCommandDeclarations>()
                ?? throw new InvalidOperationException($"{descriptor.TypeName} is declared in configuration, but no {nameof(HttpCommandDeclarations)} is registered (AddConfiguredCommandTypes).");
            var declaration = declarations.Get(descriptor.TypeName);
            var schemaErrors = new ValidationErrors();
            var declared = HttpCommandRequest.Read(declaration, body, schemaErrors, out var jsonError);
            return jsonError ? CommandRequestReadResult.InvalidJson(null)
                : schemaErrors.Count > 0 ? CommandRequestReadResult.Invalid(schemaErrors)
                : CommandRequestReadResult.Valid(declared!);
        }

        var requestType = descriptor.RequestType;
        CommandRequest? request;
        try
        {
            request = (CommandRequest?)JsonSerializer.Deserialize(body, requestType, ReadOptions);
        }
        catch (JsonException ex)
        {
            // The path is the client's own input; the message would name CLR types, so it is not passed on.
            return CommandRequestReadResult.InvalidJson(ex.Path is { Length: > 1 } path ? path : null);
        }

        if (request is null)
        {
            return CommandRequestReadResult.InvalidJson(null);
        }

        var errors = new ValidationErrors();
        request.Validate(errors);
        return errors.Count > 0 ? CommandRequestReadResult.Invalid(errors) : CommandRequestReadResult.Valid(request.Normalise());
    }
}

/// <summary>The outcome of <see cref="CommandRequests.Read"/>.</summary>
internal sealed record CommandRequestReadResult(CommandRequest? Request, ValidationErrors? Errors, bool IsJsonError, string? JsonPath)
{
    public static CommandRequestReadResult Valid(CommandRequest request) => new(request, null, false, null);

    public static CommandRequestReadResult Invalid(ValidationErrors errors) => new(null, errors, false, null);

    public static CommandRequestReadResult InvalidJson(string? path) => new(null, null, true, path);
}
