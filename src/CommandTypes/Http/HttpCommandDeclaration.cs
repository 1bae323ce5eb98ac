using System.Text.Json;
using Json.Schema;

namespace Messaging.CommandTypes.Http;

/// <summary>
/// One command type declared in configuration (<c>Commands:Types:&lt;key&gt;:Kind = http</c>): a call to an HTTP API,
/// read and checked at start by <see cref="HttpCommandDeclarations"/>.
/// </summary>
/// <param name="TypeName">The type name, lower case.</param>
/// <param name="Key">The configuration key it is declared under: the type name, or a label with <c>Name</c>.</param>
/// <param name="Provider">The provider (an <c>ExternalServices</c> section) it calls.</param>
/// <param name="Method">POST, PUT, PATCH or DELETE.</param>
/// <param name="PathTemplate">The path below each endpoint, with <c>{field}</c> placeholders, for example <c>/v1/contacts/{customerId}</c>.</param>
/// <param name="Placeholders">The fields the path names, in order.</param>
/// <param name="SchemaText">The JSON Schema of the request body, as declared.</param>
/// <param name="Schema">The same, compiled.</param>
public sealed record HttpCommandDeclaration(
    string TypeName,
    string Key,
    string Provider,
    HttpMethod Method,
    string PathTemplate,
    IReadOnlyList<string> Placeholders,
    string SchemaText,
    JsonSchema Schema)
{
    /// <summary>The configuration section of the declaration.</summary>
    public string Section => $"{CommandTypeOptions.SectionName}:{Key}";

    /// <summary>
    /// The path for one body: each placeholder replaced by the body's root property of that name, escaped as one
    /// path segment. Null when a value is not a non-empty string other than <c>.</c> or <c>..</c>, or an integer;
    /// <paramref name="badField"/> then names the field.
    /// </summary>
    public string? PathFor(JsonElement body, out string? badField)
    {
        var path = PathTemplate;
        foreach (var field in Placeholders)
        {
            if (!body.TryGetProperty(field, out var value) || SegmentOf(value) is not { } segment)
            {
                badField = field;
                return null;
            }

            path = path.Replace("{" + field + "}", Uri.EscapeDataString(segment), StringComparison.Ordinal);
        }

        badField = null;
        return path;
    }

    private static string? SegmentOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String when value.GetString() is { Length: > 0 } text && text is not ("." or "..") => text,
        JsonValueKind.Number when value.TryGetInt64(out var number) => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };
}
