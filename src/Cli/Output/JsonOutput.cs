using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Messaging.Cli.Output;

/// <summary><c>--json</c>: one JSON document on standard output, camelCase like the gateway's API.</summary>
internal static class JsonOutput
{
    public static readonly Option<bool> Option = new("--json")
    {
        Description = "Print one JSON document (for scripts) instead of tables",
        Recursive = true,
    };

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write<T>(TextWriter writer, T value) => writer.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary><paramref name="value"/> as JSON with <c>--json</c>, otherwise as <paramref name="forPeople"/> writes it.</summary>
    public static void Print<T>(ParseResult parse, TextWriter writer, T value, Action<TextWriter, T> forPeople)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(forPeople);
        if (parse.GetValue(Option))
        {
            Write(writer, value);
        }
        else
        {
            forPeople(writer, value);
        }
    }

    /// <summary>Compact JSON for a value shown inside a table cell.</summary>
    public static string Inline(JsonElement? value) => value is { } element ? JsonSerializer.Serialize(element) : "-";
}
