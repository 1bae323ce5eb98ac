using System.Text.Json;
using System.Text.Json.Serialization;
using Json.Schema;
using Messaging.Contracts.Commands;
using Messaging.Contracts.Http;

namespace Messaging.CommandTypes.Http;

/// <summary>
/// The body of a request for a type declared in configuration: a JSON object that its schema accepts and whose
/// path fields make a valid path. Stored and sent as it came (its JSON text is the stored payload).
/// </summary>
[JsonConverter(typeof(HttpCommandRequestJsonConverter))]
public sealed class HttpCommandRequest : CommandRequest
{
    private HttpCommandRequest(JsonElement body) => Body = body;

    /// <summary>The request body.</summary>
    public JsonElement Body { get; }

    /// <summary>
    /// Reads <paramref name="utf8Body"/> for <paramref name="declaration"/>: null with <paramref name="jsonError"/> set when
    /// it is not one JSON object; otherwise the request, and <paramref name="errors"/> filled with one message per failing
    /// JSON path (and per bad path field) when the schema refuses it.
    /// </summary>
    public static HttpCommandRequest? Read(HttpCommandDeclaration declaration, ReadOnlySpan<byte> utf8Body, ValidationErrors errors, out bool jsonError)
    {
        ArgumentNullException.ThrowIfNull(declaration);
        ArgumentNullException.ThrowIfNull(errors);
        JsonElement body;
        try
        {
            var reader = new Utf8JsonReader(utf8Body, new JsonReaderOptions { MaxDepth = 32, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object || reader.Read())
            {
                jsonError = true;
                return null;
            }

            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            jsonError = true;
            return null;
        }

        jsonError = false;
        var results = declaration.Schema.Evaluate(body, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!results.IsValid)
        {
            foreach (var detail in results.Details.Where(d => d.HasErrors))
            {
                foreach (var (_, message) in detail.Errors!)
                {
                    errors.Add(JsonPathOf(detail.InstanceLocation.ToString()), message);
                }
            }

            if (errors.Count == 0)
            {
                errors.Add("$", "The body does not match the command type's schema.");
            }
        }

        if (errors.Count == 0 && declaration.PathFor(body, out var badField) is null)
        {
            errors.Add(JsonPathOf("/" + badField), $"'{badField}' is part of the provider's path: it must be a non-empty string other than '.' or '..', or an integer.");
        }

        return new HttpCommandRequest(body);
    }

    /// <inheritdoc />
    public override void Validate(ValidationErrors errors)
    {
        // Read validated the body against the type's schema.
    }

    /// <inheritdoc />
    public override CommandRequest Normalise() => this;

    /// <inheritdoc />
    public override ICommandMessage ToMessage(Guid commandId, string tenant) => new HttpCommand { CommandId = commandId, Tenant = tenant, Body = Body };

    // "/a/0/b" (a JSON Pointer) as "$.a[0].b".
    private static string JsonPathOf(string pointer)
    {
        if (pointer.Length == 0 || pointer == "/")
        {
            return "$";
        }

        var path = "$";
        foreach (var token in pointer.TrimStart('/').Split('/'))
        {
            var name = token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            path += int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _) ? $"[{name}]" : "." + name;
        }

        return path;
    }
}

/// <summary>Writes a <see cref="HttpCommandRequest"/> as its body (the stored payload and the idempotency hash read this).</summary>
internal sealed class HttpCommandRequestJsonConverter : JsonConverter<HttpCommandRequest>
{
    public override HttpCommandRequest Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Read a declared type's request with HttpCommandRequest.Read.");

    public override void Write(Utf8JsonWriter writer, HttpCommandRequest value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        value.Body.WriteTo(writer);
    }
}
