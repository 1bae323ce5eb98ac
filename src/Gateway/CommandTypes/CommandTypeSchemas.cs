using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using Messaging.CommandTypes;
using Messaging.Contracts.Commands;
using Messaging.Gateway.Commands;

namespace Messaging.Gateway.CommandTypes;

/// <summary>
/// The command types this gateway accepts (<see cref="CommandRequests.IsSupported"/>), each with the JSON Schema of
/// its request body: the one its descriptor declares (<see cref="CommandDescriptor.JsonSchema"/>), or one made from
/// its request type with the options the gateway reads requests with (camelCase, unknown properties refused:
/// <c>additionalProperties: false</c>). <c>GET /api/command-types</c> and the OpenAPI document serve the same schemas.
/// </summary>
/// <remarks>
/// Request properties are nullable on purpose (a missing field is a validation error, not a JSON error), so the
/// C# type does not say which fields are required. The validation does: a field is <c>required</c> (and not
/// nullable) when the type's own <see cref="CommandRequest.Validate"/> refuses an empty request for it. Rules the
/// validation holds beyond that (patterns, ranges, fields that depend on each other) are not in the schema.
/// </remarks>
internal sealed class CommandTypeSchemas(CommandTypeRegistry registry)
{
    private readonly Lazy<IReadOnlyList<AcceptedCommandType>> _accepted = new(() =>
        [.. registry.All.Where(CommandRequests.IsSupported).Select(d => new AcceptedCommandType(d, SchemaOf(d)))]);

    /// <summary>Every type the gateway accepts, in registration order.</summary>
    public IReadOnlyList<AcceptedCommandType> Accepted => _accepted.Value;

    /// <summary>The schema of an accepted type's request body, as a JSON object.</summary>
    /// <exception cref="InvalidOperationException">The descriptor's JSON Schema is not a JSON object.</exception>
    internal static JsonElement SchemaOf(CommandDescriptor descriptor)
    {
        if (descriptor.JsonSchema is { } declared)
        {
            try
            {
                using var document = JsonDocument.Parse(declared);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    return document.RootElement.Clone();
                }
            }
            catch (JsonException)
            {
                // Reported below, naming the type.
            }

            throw new InvalidOperationException($"The JSON Schema of the command type {descriptor.TypeName} is not a JSON object.");
        }

        var requestType = descriptor.RequestType
            ?? throw new InvalidOperationException($"The command type {descriptor.TypeName} has neither a request type nor a JSON Schema.");
        // The body itself is never null (a null body is refused as invalid JSON): the root is not nullable.
        var schema = JsonSchemaExporter.GetJsonSchemaAsNode(CommandRequests.ReadOptions, requestType,
            new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true }).AsObject();
        MarkRequired(schema, RequiredFields(requestType));

        // An element, not the node: it is read by concurrent requests, and a JsonNode is not safe for that.
        return JsonSerializer.SerializeToElement(schema);
    }

    /// <summary>The fields the type's validation refuses in an empty request.</summary>
    private static IReadOnlyCollection<string> RequiredFields(Type requestType)
    {
        var empty = (CommandRequest)Activator.CreateInstance(requestType)!;
        var errors = new ValidationErrors();
        empty.Validate(errors);
        return errors.ToDictionary().Keys;
    }

    private static void MarkRequired(JsonObject schema, IReadOnlyCollection<string> fields)
    {
        if (schema["properties"] is not JsonObject properties)
        {
            return;
        }

        var required = new JsonArray();
        foreach (var (name, property) in properties)
        {
            if (!fields.Contains(name))
            {
                continue;
            }

            required.Add(name);

            // ["string", "null"] becomes "string": null is refused like a missing value.
            if (property?["type"] is JsonArray types && types.Where(t => t?.GetValue<string>() != "null").ToList() is [var single])
            {
                property["type"] = single!.GetValue<string>();
            }
        }

        if (required.Count > 0)
        {
            schema["required"] = required;
        }
    }
}

/// <summary>A command type the gateway accepts, with the schema of its request body.</summary>
internal sealed record AcceptedCommandType(CommandDescriptor Descriptor, JsonElement Schema);
