using System.Text.Json.Nodes;
using Messaging.Contracts.Callbacks;
using Messaging.Gateway.Commands;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Messaging.Gateway.OpenApi;

/// <summary>
/// Completion callbacks in the OpenAPI document: the states of the status document's <c>callback</c> (a string in
/// <see cref="CallbackView"/>, an enum here), and the top-level <c>webhooks</c> entry <c>commandCompleted</c>, the signed
/// <c>POST</c> a command's callback URL receives when the command ends (OpenAPI 3.1). The submit's <c>Callback-Url</c>
/// header and the batch item's <c>callbackUrl</c> are described with the other headers, by <see cref="CommandOperationsTransformer"/>.
/// </summary>
internal sealed class CompletionCallbacksTransformer : IOpenApiDocumentTransformer, IOpenApiSchemaTransformer
{
    /// <summary>The name of the webhook in the document's <c>webhooks</c>.</summary>
    public const string WebhookName = "commandCompleted";

    /// <summary>The component schema of the webhook's body.</summary>
    public const string EventSchemaName = "CommandCompletedEvent";

    /// <summary>The states of a callback, as the status document shows them (the ledger writes them; Pending also stands for none yet).</summary>
    internal static readonly string[] States = ["Pending", "Delivering", "Delivered", "DeadLettered"];

    /// <summary>The event types, one per terminal status (<see cref="CallbackEventTypes"/>: the wire names).</summary>
    internal static readonly string[] EventTypes =
    [
        CallbackEventTypes.Succeeded, CallbackEventTypes.Failed, CallbackEventTypes.DeadLettered, CallbackEventTypes.Expired, CallbackEventTypes.Cancelled,
    ];

    /// <summary>The status document's <c>callback</c>: its states as an enum, and only what is always there as required.</summary>
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonTypeInfo.Type != typeof(CallbackView) || schema.Properties is null)
        {
            return Task.CompletedTask;
        }

        if (schema.Properties.TryGetValue("state", out var stateSchema) && stateSchema is OpenApiSchema state)
        {
            state.Enum = [.. States.Select(s => (JsonNode)JsonValue.Create(s))];
            state.Description = "Pending: the command has not ended, or its event is queued. Delivering: an attempt failed and a retry is "
                + "scheduled. Delivered: the receiver answered 2xx. DeadLettered: retries are spent; an operator can redrive the delivery. "
                + "A later version may add states: treat an unknown one as not final.";
        }

        if (schema.Properties.TryGetValue("attempts", out var attemptsSchema) && attemptsSchema is OpenApiSchema attempts)
        {
            attempts.Description = "Delivery attempts of the last event so far (a refusal by the origin's breaker or concurrency limit is not one).";
        }

        if (schema.Properties.TryGetValue("lastError", out var lastErrorSchema) && lastErrorSchema is OpenApiSchema lastError)
        {
            lastError.Description = "Why the last attempt failed (the receiver's status, a timeout, a connection failure); absent when it did not.";
        }

        schema.Required = new HashSet<string>(StringComparer.Ordinal) { "state", "attempts" };
        return Task.CompletedTask;
    }

    /// <summary>The webhook and its body's schema.</summary>
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        document.Components.Schemas[EventSchemaName] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "A completion event: the command's status document at the transition to a terminal status.",
            Required = new HashSet<string>(StringComparer.Ordinal) { "type", "timestamp", "data" },
            Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
            {
                ["type"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Enum = [.. EventTypes.Select(t => (JsonNode)JsonValue.Create(t))],
                    Description = "The terminal status reached: Succeeded, Failed, DeadLettered, Expired or Cancelled.",
                },
                ["timestamp"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.String, Format = "date-time", Description = "When the command reached that status (RFC 3339).",
                },
                ["data"] = new OpenApiSchemaReference(nameof(CommandView), document)
                {
                    Description = "The command's status document at that transition: the fields of GET /api/commands/{id}, without callback "
                        + "and stale.",
                },
            },
        };

        document.Webhooks ??= new Dictionary<string, IOpenApiPathItem>(StringComparer.Ordinal);
        document.Webhooks[WebhookName] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Post] = Operation(document) },
        };
        return Task.CompletedTask;
    }

    private static OpenApiOperation Operation(OpenApiDocument document) => new()
    {
        OperationId = "CommandCompleted",
        Summary = "A command with a callback URL has ended",
        Description = "Sent by the gateway's workers to the command's callback URL (its Callback-Url, its batch item's callbackUrl, or its "
            + "client's default) once per transition to a terminal status, signed as the Standard Webhooks specification says. Check the "
            + "signature before trusting the body: HMAC-SHA256 with the client's callback secret (whsec_…, shown once by clients add) over "
            + "\"{webhook-id}.{webhook-timestamp}.{raw body}\", and a timestamp close to now. Process each webhook-id once: a retry of a "
            + "delivery keeps its id, and a command that ends again after a redrive sends a new one. Delivery is at least once, retried with "
            + "exponential backoff and jitter for up to 24 hours, then dead-lettered, where an operator can redrive it (the same webhook-id "
            + "again). Redirects are not followed.",
        Parameters =
        [
            WebhookHeader(CallbackSignatureHeaders.Id,
                "The event's id, msg_ and 32 hex digits: the same for every retry of this delivery, new for each transition.",
                new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^msg_[0-9a-f]{32}$" }),
            WebhookHeader(CallbackSignatureHeaders.Timestamp,
                "When this attempt was signed, in Unix seconds; refuse a request far from now (5 minutes either way) as a replay.",
                new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64" }),
            WebhookHeader(CallbackSignatureHeaders.Signature,
                "Space-separated v1,<base64 HMAC-SHA256> entries, one per active secret of the client (two during a rotation's grace "
                + "period, the last written twice, because the StandardWebhooks .NET package does not check the last of several); one "
                + "match is enough.",
                new OpenApiSchema { Type = JsonSchemaType.String }),
        ],
        RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                ["application/json"] = new() { Schema = new OpenApiSchemaReference(EventSchemaName, document) },
            },
        },
        Responses = new OpenApiResponses
        {
            ["2XX"] = new OpenApiResponse { Description = "Delivered: the delivery ends. The response body is not read into anything stored." },
            ["default"] = new OpenApiResponse
            {
                Description = "Any other answer (a 3xx, which is not followed, a 4xx or a 5xx), or none within the attempt timeout: the "
                    + "delivery is retried later with the same webhook-id. The command's own status never changes because of it.",
            },
        },
    };

    private static OpenApiParameter WebhookHeader(string name, string description, OpenApiSchema schema) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Required = true,
        Description = description,
        Schema = schema,
    };

    /// <summary>The Standard Webhooks header names (as Messaging.Client's <c>CallbackSignature</c> reads them).</summary>
    private static class CallbackSignatureHeaders
    {
        public const string Id = "webhook-id";
        public const string Timestamp = "webhook-timestamp";
        public const string Signature = "webhook-signature";
    }
}
