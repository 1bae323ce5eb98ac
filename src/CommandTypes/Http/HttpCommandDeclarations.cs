using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using Messaging.Contracts.Commands;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Messaging.CommandTypes.Http;

/// <summary>
/// The command types declared in configuration, read once at start: every <c>Commands:Types:&lt;key&gt;</c> entry
/// with <c>Kind = http</c>. A bad declaration stops the host with a message naming the key. Entries without
/// <c>Kind</c> configure types registered in code and are not read here.
/// </summary>
public sealed partial class HttpCommandDeclarations
{
    private static readonly string[] Methods = ["POST", "PUT", "PATCH", "DELETE"];

    private readonly Dictionary<string, HttpCommandDeclaration> _byType;

    internal HttpCommandDeclarations(IReadOnlyList<HttpCommandDeclaration> all)
    {
        All = all;
        _byType = all.ToDictionary(d => d.TypeName, StringComparer.Ordinal);
    }

    /// <summary>Every declared type, in configuration order.</summary>
    public IReadOnlyList<HttpCommandDeclaration> All { get; }

    /// <summary>The declaration of <paramref name="typeName"/>.</summary>
    public HttpCommandDeclaration Get(string typeName) =>
        _byType.TryGetValue(typeName, out var declaration)
            ? declaration
            : throw new InvalidOperationException($"'{typeName}' is not a command type declared in configuration.");

    /// <summary>Reads and checks every declaration.</summary>
    /// <exception cref="InvalidOperationException">A bad declaration; the message names its key.</exception>
    public static HttpCommandDeclarations Read(IConfiguration configuration, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(environment);
        var declarations = new List<HttpCommandDeclaration>();
        var problems = new List<string>();
        foreach (var entry in configuration.GetSection(CommandTypeOptions.SectionName).GetChildren())
        {
            var kind = entry["Kind"];
            if (kind is null)
            {
                continue;
            }

            var section = $"{CommandTypeOptions.SectionName}:{entry.Key}";
            if (!string.Equals(kind, "http", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{section}:Kind must be 'http' (or absent, for a type registered in code); it is '{kind}'.");
                continue;
            }

            if (ReadOne(entry, section, environment, problems) is { } declaration)
            {
                declarations.Add(declaration);
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid command type declarations: " + string.Join(" ", problems));
        }

        return new HttpCommandDeclarations(declarations);
    }

    /// <summary>The type name an entry of <c>Commands:Types</c> declares or configures: its <c>Name</c>, or else its key.</summary>
    public static string TypeNameOf(IConfigurationSection entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return (entry["Name"] ?? entry.Key).ToLowerInvariant();
    }

    private static HttpCommandDeclaration? ReadOne(IConfigurationSection entry, string section, IHostEnvironment environment, List<string> problems)
    {
        var count = problems.Count;
        var name = TypeNameOf(entry);
        if (!CommandTypeRegistry.IsValidTypeName(name))
        {
            problems.Add($"{section}{(entry["Name"] is null ? "" : ":Name")}: '{name}' is not a valid command type name: lower-case segments separated by dots, such as crm.contact.upsert.");
        }

        var provider = entry["Provider"];
        if (!CommandTypeRegistry.IsValidProviderName(provider))
        {
            problems.Add($"{section}:Provider must name a provider (^[a-z][a-z0-9-]*$, an ExternalServices section); it is '{provider}'.");
        }

        var method = (entry["Http:Method"] ?? "POST").ToUpperInvariant();
        if (!Methods.Contains(method, StringComparer.Ordinal))
        {
            problems.Add($"{section}:Http:Method must be POST, PUT, PATCH or DELETE; it is '{method}'.");
        }

        var path = entry["Http:Path"];
        if (string.IsNullOrEmpty(path) || !path.StartsWith('/') || path.Contains("//", StringComparison.Ordinal) || path.Contains('?', StringComparison.Ordinal)
            || path.Contains('#', StringComparison.Ordinal) || path.Contains("..", StringComparison.Ordinal))
        {
            problems.Add($"{section}:Http:Path must be a path starting with '/', without a query, '//' or '..', for example /v1/contacts/{{customerId}}.");
            path = null;
        }

        var schemaText = ReadSchemaText(entry, section, environment, problems);
        JsonSchema? schema = null;
        JsonObject? schemaObject = null;
        if (schemaText is not null)
        {
            try
            {
                schemaObject = JsonNode.Parse(schemaText) as JsonObject
                    ?? throw new JsonException("The schema is not a JSON object.");
                schema = JsonSchema.FromText(schemaText);
                if (RemoteReference(schemaObject) is { } remote)
                {
                    problems.Add($"{section}:Schema refers to '{remote}': only references within the schema ('#…') are allowed.");
                }
            }
            catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or FormatException)
            {
                problems.Add($"{section}:Schema is not a JSON Schema (draft 2020-12) object: {ex.Message}");
                schema = null;
            }
        }

        var placeholders = new List<string>();
        if (path is not null)
        {
            foreach (Match match in Placeholder().Matches(path))
            {
                var field = match.Groups[1].Value;
                placeholders.Add(field);
                if (schemaObject is not null && !IsPathField(schemaObject, field))
                {
                    problems.Add($"{section}:Http:Path names {{{field}}}, which must be a root property of the schema of type string or integer.");
                }
            }

            if (Placeholder().Replace(path, "x").IndexOfAny(['{', '}']) >= 0)
            {
                problems.Add($"{section}:Http:Path has a brace that is not a {{field}} placeholder.");
            }
        }

        return problems.Count > count
            ? null
            : new HttpCommandDeclaration(name, entry.Key, provider!, new HttpMethod(method), path!, placeholders, schemaText!, schema!);
    }

    private static string? ReadSchemaText(IConfigurationSection entry, string section, IHostEnvironment environment, List<string> problems)
    {
        var schema = entry.GetSection("Schema");
        var file = entry["SchemaFile"];
        if (schema.GetChildren().Any())
        {
            // appsettings.json flattens a nested object into keys, so the schema's structure (and its types) is lost.
            problems.Add($"{section}:Schema is a nested object; configuration flattens it. Write the schema as a JSON string, or put it in a file and set {section}:SchemaFile.");
            return null;
        }

        if (schema.Value is { Length: > 0 } text)
        {
            if (file is not null)
            {
                problems.Add($"{section}: set Schema or SchemaFile, not both.");
            }

            return text;
        }

        if (string.IsNullOrEmpty(file))
        {
            problems.Add($"{section}:Schema (a JSON Schema as a JSON string) or {section}:SchemaFile is required.");
            return null;
        }

        var full = Path.GetFullPath(file, environment.ContentRootPath);
        if (!File.Exists(full))
        {
            problems.Add($"{section}:SchemaFile '{file}' does not exist (relative paths start at the content root, {environment.ContentRootPath}).");
            return null;
        }

        return File.ReadAllText(full);
    }

    private static bool IsPathField(JsonObject schema, string field) =>
        schema["properties"] is JsonObject properties && properties[field] is JsonObject property
        && property["type"] is JsonValue type && type.TryGetValue<string>(out var name) && name is "string" or "integer";

    private static string? RemoteReference(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (key is "$ref" or "$dynamicRef" && value is JsonValue reference && reference.TryGetValue<string>(out var target) && !target.StartsWith('#'))
                    {
                        return target;
                    }

                    if (RemoteReference(value) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonArray array:
                return array.Select(RemoteReference).FirstOrDefault(r => r is not null);
            default:
                return null;
        }
    }

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
