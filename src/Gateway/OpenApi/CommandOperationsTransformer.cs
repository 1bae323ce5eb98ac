using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Messaging.Gateway.Commands;
using Messaging.Gateway.CommandTypes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Messaging.Gateway.OpenApi;

/// <summary>
/// <c>POST /api/commands/{type}</c> is one route, but each type has its own body: this replaces the route's operation
/// with one literal path per accepted type (<c>/api/commands/payments.charge</c>, …) whose request body is that type's
/// schema (the one <c>GET /api/command-types</c> serves, under <c>components/schemas/&lt;type&gt;</c>), with the
/// route's answers and the <c>Idempotency-Key</c>, <c>Command-Timeout</c>, <c>Not-Before</c> and <c>Callback-Url</c> headers. The generic path is
/// left out. The batch route's body is described here too: its items are a union over the same types, told apart by
/// <c>type</c>, each with that type's schema as its <c>body</c>.
/// </summary>
internal sealed class CommandOperationsTransformer(CommandTypeSchemas schemas) : IOpenApiDocumentTransformer
{
    private const string SubmitPath = "/api/commands/{type}";
    private const string BatchPath = "/api/commands/batch";

    /// <summary>What a callback URL must be, for the header and a batch item alike.</summary>
    private const string CallbackUrlDescription =
        "Where to POST the signed completion event (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature; see webhooks "
        + "commandCompleted) when the command reaches a terminal status. An absolute URL whose origin (scheme, host, port) is on the "
        + "tenant's Tenants:<tenant>:CallbackOrigins; https, except for loopback hosts and in the Development and Testing environments; "
        + "no user info, no fragment. Anything else is 400 and nothing is stored.";

    /// <summary>What each refusal of a submit means; nothing is stored or sent for any of them.</summary>
    private static readonly Dictionary<string, string> Answers = new(StringComparer.Ordinal)
    {
        ["400"] = "Not a JSON object of this type (unknown or duplicate properties, numbers in strings, comments), invalid fields "
            + "(errors: one entry per field), or invalid Idempotency-Key / Command-Timeout / Not-Before / Callback-Url headers (errors names "
            + "the header; a Callback-Url whose origin the tenant may not call back is refused here too).",
        ["409"] = "A request with this Idempotency-Key is still being processed; retry later to get its answer.",
        ["413"] = $"The body is larger than {CommandsEndpoints.MaxBodyBytes} bytes.",
        ["415"] = "The body is not Content-Type: application/json (UTF-8).",
        ["422"] = "This Idempotency-Key was already used for a different request; use a new key for a new command.",
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        if (document.Paths is null
            || !document.Paths.Remove(SubmitPath, out var generic)
            || generic.Operations?.GetValueOrDefault(HttpMethod.Post) is not { } submit)
        {
            return Task.CompletedTask;
        }

        Describe(submit);
        document.Components ??= new OpenApiComponents();
        if (document.Paths.GetValueOrDefault(BatchPath)?.Operations?.GetValueOrDefault(HttpMethod.Post) is { } batch)
        {
            DescribeBatch(batch, document);
        }

        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        var operationIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in schemas.Accepted)
        {
            var name = type.Descriptor.TypeName;
            document.Components.Schemas[name] = ToOpenApiSchema(type, document);
            var operation = new OpenApiOperation(submit)
            {
                OperationId = UniqueOperationId(name, operationIds),
                Summary = $"Submit a {name} command",
                Description = $"Stores a {name} command durably and answers 202; its provider is {type.Descriptor.Provider}. "
                    + "The default deadline is GET /api/command-types' defaultTimeout, unless Command-Timeout says otherwise.",
                Parameters = [.. (submit.Parameters ?? []).Where(p => p.In != ParameterLocation.Path)],
                RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Description = $"The {name} command, at most {CommandsEndpoints.MaxBodyBytes} bytes of UTF-8 JSON; unknown properties are refused.",
                    Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
                    {
                        ["application/json"] = new() { Schema = new OpenApiSchemaReference(name, document) },
                    },
                },
            };
            document.Paths[$"/api/commands/{name}"] = new OpenApiPathItem
            {
                Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Post] = operation },
            };
        }

        return Task.CompletedTask;
    }

    /// <summary>The headers and answers every type's operation shares (added to the generic one, then copied).</summary>
    private static void Describe(OpenApiOperation submit)
    {
        submit.Parameters ??= [];
        submit.Parameters.Add(new OpenApiParameter
        {
            Name = CommandsEndpoints.IdempotencyKeyHeader,
            In = ParameterLocation.Header,
            Description = "1 to 255 visible ASCII characters, scoped to the tenant: the same key and body again replays the first answer "
                + "(Idempotent-Replayed: true), another body with the key is 422, and while the first is still being stored it is 409.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 255, Pattern = "^[!-~]+$" },
        });
        submit.Parameters.Add(new OpenApiParameter
        {
            Name = CommandsEndpoints.CommandTimeoutHeader,
            In = ParameterLocation.Header,
            Description = "Seconds the command may take (its deadline), 1 to 86400; without it the type's default timeout applies.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = "86400" },
        });
        submit.Parameters.Add(new OpenApiParameter
        {
            Name = CommandsEndpoints.NotBeforeHeader,
            In = ParameterLocation.Header,
            Description = "Run the command no earlier than this RFC 3339 date-time (with Z or an offset), at most 30 days ahead and not more "
                + "than 5 minutes in the past. The command is stored Scheduled (the 202 says so) and published when it is due, within the "
                + "relay's poll interval (1 s by default); its deadline counts from this time. While PostgreSQL is unavailable such a "
                + "command is refused with 503 (no direct publish). Part of the Idempotency-Key's request when given.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" },
        });
        submit.Parameters.Add(new OpenApiParameter
        {
            Name = CommandsEndpoints.CallbackUrlHeader,
            In = ParameterLocation.Header,
            Description = CallbackUrlDescription + " Without it, the client's default callback URL applies, if it has one. While "
                + "PostgreSQL is unavailable such a command is refused with 503 (no direct publish). Part of the Idempotency-Key's request "
                + "when given: the same key with another or no Callback-Url is 422.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri", MaxLength = CallbackUrls.MaxLength },
        });

        submit.Responses ??= [];
        if (submit.Responses.GetValueOrDefault("202") is OpenApiResponse accepted)
        {
            accepted.Description = "Accepted: stored durably (acceptedVia outbox) or confirmed by the broker (acceptedVia direct); status is "
                + "Scheduled for a command with a Not-Before still to come.";
            accepted.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
            accepted.Headers["Location"] = GatewayOpenApi.Header("The command's status URL, /api/commands/{id}.");
            accepted.Headers[CommandsEndpoints.IdempotentReplayedHeader] = GatewayOpenApi.Header(
                "true when this is the first answer again for a repeated Idempotency-Key and body.");
        }

        foreach (var (status, description) in Answers)
        {
            if (submit.Responses.GetValueOrDefault(status) is OpenApiResponse response)
            {
                response.Description = description;
            }
        }
    }

    /// <summary>
    /// <c>{items: [...]}</c>, 1 to 100 items, each one of the accepted types: <c>type</c> its name (a constant), <c>body</c>
    /// its schema, and the single submit's headers as optional fields. Called after the types' schemas are in the components.
    /// </summary>
    private void DescribeBatch(OpenApiOperation batch, OpenApiDocument document)
    {
        var itemKinds = new List<IOpenApiSchema>();
        foreach (var type in schemas.Accepted)
        {
            var name = type.Descriptor.TypeName;
            itemKinds.Add(new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Required = new HashSet<string>(StringComparer.Ordinal) { "type", "body" },
                AdditionalPropertiesAllowed = false,
                Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
                {
                    ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Const = name },
                    ["body"] = new OpenApiSchemaReference(name, document),
                    ["idempotencyKey"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String, MinLength = 1, MaxLength = 255, Pattern = "^[!-~]+$",
                        Description = "As the Idempotency-Key header; unique within the batch.",
                    },
                    ["notBefore"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time", Description = "As the Not-Before header." },
                    ["timeout"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Integer, Minimum = "1", Maximum = "86400", Description = "As the Command-Timeout header, in seconds.",
                    },
                    ["callbackUrl"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String, Format = "uri", MaxLength = CallbackUrls.MaxLength,
                        Description = "As the Callback-Url header; a refused one is keyed items[index].callbackUrl.",
                    },
                },
            });
        }

        batch.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = $"1 to {CommandsEndpoints.MaxBatchItems} commands, at most {CommandsEndpoints.MaxBatchBodyBytes} bytes of UTF-8 JSON "
                + $"({CommandsEndpoints.MaxBodyBytes} bytes per body); unknown properties are refused.",
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                ["application/json"] = new()
                {
                    Schema = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string>(StringComparer.Ordinal) { "items" },
                        AdditionalPropertiesAllowed = false,
                        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
                        {
                            ["items"] = new OpenApiSchema
                            {
                                Type = JsonSchemaType.Array,
                                MinItems = 1,
                                MaxItems = CommandsEndpoints.MaxBatchItems,
                                Items = new OpenApiSchema { OneOf = itemKinds },
                            },
                        },
                    },
                },
            },
        };

        batch.Responses ??= [];
        foreach (var (status, description) in BatchAnswers)
        {
            if (batch.Responses.GetValueOrDefault(status) is OpenApiResponse response)
            {
                response.Description = description;
            }
        }
    }

    /// <summary>What each answer of a batch means; nothing of the batch is stored for any refusal.</summary>
    private static readonly Dictionary<string, string> BatchAnswers = new(StringComparer.Ordinal)
    {
        ["202"] = "Every item stored (or, for an item whose idempotencyKey was used before for the same request, its first answer: replayed true); "
            + "items in the request's order.",
        ["400"] = "Not a batch (Invalid JSON), 0 or more than 100 items, or failing items: errors keyed items[index].field and failedItems "
            + "listing their indexes. Nothing is stored.",
        ["409"] = "The idempotencyKey of the items in failedItems is still being processed by another request; nothing is stored.",
        ["413"] = $"The body is larger than {CommandsEndpoints.MaxBatchBodyBytes} bytes.",
        ["415"] = "The body is not Content-Type: application/json (UTF-8).",
        ["422"] = "The idempotencyKey of the items in failedItems was used for a different request; nothing is stored.",
    };

    /// <summary>The schema as an OpenAPI 3.1 schema object, read by Microsoft.OpenApi's reader from the served JSON.</summary>
    private static OpenApiSchema ToOpenApiSchema(AcceptedCommandType type, OpenApiDocument document)
    {
        var schema = new OpenApiJsonReader().ReadFragment<OpenApiSchema>(
            JsonNode.Parse(type.Schema.GetRawText())!, OpenApiSpecVersion.OpenApi3_1, document, out var diagnostic);
        if (schema is null || diagnostic?.Errors.Count > 0)
        {
            throw new InvalidOperationException(
                $"The JSON Schema of the command type {type.Descriptor.TypeName} cannot be read as an OpenAPI schema: "
                + string.Join("; ", diagnostic?.Errors.Select(e => e.Message) ?? []));
        }

        return schema;
    }

    /// <summary><c>payments.charge</c> → <c>SubmitPaymentsCharge</c>, with a number appended in the unlikely case two types meet.</summary>
    private static string UniqueOperationId(string typeName, HashSet<string> taken)
    {
        var id = new StringBuilder("Submit");
        foreach (var part in typeName.Split('.', '-'))
        {
            id.Append(char.ToUpperInvariant(part[0])).Append(part.AsSpan(1));
        }

        var candidate = id.ToString();
        for (var n = 2; !taken.Add(candidate); n++)
        {
            candidate = id.ToString() + n.ToString(CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}
