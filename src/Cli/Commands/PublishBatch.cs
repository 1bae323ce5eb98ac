using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Messaging.Cli.Output;
using Messaging.Client;

namespace Messaging.Cli.Commands;

/// <summary>
/// <c>msg publish --batch</c>: reads every line first and reports each bad one with its line number before anything is
/// sent; then sends the commands in requests of at most <see cref="MessagingClient.MaxBatchSize"/>, one after another,
/// and prints one line per accepted command. A request the gateway refuses is reported by line number too.
/// </summary>
internal static partial class PublishBatch
{
    public const string LineShape = """{"type":…,"body":{…},"idempotencyKey"?,"notBefore"?,"timeout"?,"callbackUrl"?}""";

    public static async Task<int> RunAsync(CliConsole console, ParseResult parse, MessagingClient client, string text, SendOptions defaults, CancellationToken cancellationToken)
    {
        var (lines, errors) = Read(text, defaults);
        foreach (var error in errors)
        {
            await console.Error.WriteLineAsync($"msg: --batch {error}").ConfigureAwait(false);
        }

        if (errors.Count > 0)
        {
            return ExitCodes.Usage;
        }

        if (lines.Count == 0)
        {
            throw new CliException("--batch: the file has no commands", ExitCodes.Usage);
        }

        var json = parse.GetValue(JsonOutput.Option);
        var accepted = new List<CommandAccepted>();
        try
        {
            foreach (var chunk in lines.Chunk(MessagingClient.MaxBatchSize))
            {
                CommandBatchAccepted result;
                try
                {
                    result = await client.SendBatchAsync([.. chunk.Select(line => line.Item)], cancellationToken).ConfigureAwait(false);
                }
                catch (MessagingClientException ex) when (ex.FailedItems.Count > 0 || ex.Errors.Count > 0)
                {
                    await ReportRefusedAsync(console.Error, ex, chunk, accepted.Count).ConfigureAwait(false);
                    return ExitCodes.Failure;
                }
                catch (MessagingClientException) when (accepted.Count > 0)
                {
                    // The reason follows (CommandActions); first what was stored and what was not.
                    await console.Error.WriteLineAsync(
                        $"msg: lines {Range(chunk)} and after were not stored; the {accepted.Count} commands before them were").ConfigureAwait(false);
                    throw;
                }

                for (var i = 0; i < chunk.Length && !json; i++)
                {
                    var item = result.Items[i];
                    await console.Out.WriteLineAsync(
                        $"{item.Status} {item.Type} {item.Id} (line {chunk[i].Number}, key {item.IdempotencyKey}{(item.Replayed ? ", replayed" : "")})").ConfigureAwait(false);
                }

                accepted.AddRange(result.Items);
            }
        }
        finally
        {
            // One document for scripts, with everything stored, even when a later request failed.
            if (json && accepted.Count > 0)
            {
                JsonOutput.Write(console.Out, new CommandBatchAccepted { Items = accepted });
            }
        }

        return ExitCodes.Success;
    }

    /// <summary>Every non-blank line as a batch item, or the reasons of the bad ones (<c>line N: ...</c>).</summary>
    private static (List<Line> Lines, List<string> Errors) Read(string text, SendOptions defaults)
    {
        var lines = new List<Line>();
        var errors = new List<string>();
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        var number = 0;
        foreach (var content in text.Split('\n'))
        {
            number++;
            if (string.IsNullOrWhiteSpace(content))
            {
                continue;
            }

            if (ReadLine(content, defaults, out var error) is not { } item)
            {
                errors.Add($"line {number}: {error}");
            }
            else if (item.Options.IdempotencyKey is { } key && !keys.TryAdd(key, number))
            {
                errors.Add($"line {number}: idempotencyKey '{key}' is also on line {keys[key]}");
            }
            else
            {
                lines.Add(new Line(number, item));
            }
        }

        return (lines, errors);
    }

    private static CommandBatchItem? ReadLine(string text, SendOptions defaults, out string error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            error = $"not valid JSON (at position {(ex.BytePositionInLine ?? 0) + 1})";
            return null;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = $"not a JSON object; a line is {LineShape}";
                return null;
            }

            string? type = null;
            JsonElement? body = null;
            var options = defaults;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var value = property.Value;
                switch (property.Name)
                {
                    case "type" when value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString()):
                        type = value.GetString();
                        break;
                    case "body" when value.ValueKind == JsonValueKind.Object:
                        body = value;
                        break;
                    case "idempotencyKey" when value.ValueKind == JsonValueKind.String:
                        options = options with { IdempotencyKey = value.GetString() };
                        break;
                    case "notBefore" when value.ValueKind == JsonValueKind.String && Rfc3339.TryParse(value.GetString(), out var time):
                        options = options with { NotBefore = time };
                        break;
                    case "timeout" when value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var seconds) && seconds is >= 1 and <= 86_400:
                        options = options with { Timeout = TimeSpan.FromSeconds(seconds) };
                        break;
                    case "callbackUrl" when value.ValueKind == JsonValueKind.String && Uri.TryCreate(value.GetString(), UriKind.Absolute, out var url)
                        && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp):
                        options = options with { CallbackUrl = url };
                        break;
                    case "type" or "body" or "idempotencyKey" or "notBefore" or "timeout" or "callbackUrl":
                        error = $"{property.Name} must be {Expected(property.Name)}";
                        return null;
                    default:
                        error = $"unknown property '{property.Name}'; a line is {LineShape}";
                        return null;
                }
            }

            if (type is null || body is not { } fields)
            {
                error = $"{(type is null ? "type" : "body")} is missing; a line is {LineShape}";
                return null;
            }

            try
            {
                error = "";
                return CommandBatchItem.FromJson(type, fields, options);
            }
            catch (ArgumentException)
            {
                // The only option the line's checks above leave to the client's own.
                error = $"idempotencyKey must be {Expected("idempotencyKey")}";
                return null;
            }
        }
    }

    private static string Expected(string property) => property switch
    {
        "type" => "a command type, for example payments.charge",
        "body" => "the command's JSON object",
        "idempotencyKey" => "1 to 255 visible ASCII characters",
        "notBefore" => Rfc3339.Expected,
        "callbackUrl" => "an absolute http(s) URL whose origin is on the tenant's allow-list",
        _ => "whole seconds from 1 to 86400",
    };

    /// <summary>A refused request: each failing item by its line, then what was (not) stored.</summary>
    private static async Task ReportRefusedAsync(TextWriter error, MessagingClientException exception, Line[] chunk, int storedBefore)
    {
        var reported = new HashSet<int>();
        foreach (var (field, messages) in exception.Errors)
        {
            var match = ItemField().Match(field);
            var index = match.Success ? int.Parse(match.Groups["index"].Value, CultureInfo.InvariantCulture) : -1;
            var where = index >= 0 && index < chunk.Length
                ? $"line {chunk[index].Number}" + (match.Groups["field"].Length > 0 ? ": " + match.Groups["field"].Value : "")
                : field;
            reported.Add(index);
            foreach (var message in messages)
            {
                await error.WriteLineAsync($"msg: --batch {where}: {CommandActions.OneLine(message)}").ConfigureAwait(false);
            }
        }

        var status = exception.StatusCode is { } code ? ((int)code).ToString(CultureInfo.InvariantCulture) : "no answer";
        foreach (var index in exception.FailedItems.Where(i => !reported.Contains(i) && i < chunk.Length))
        {
            await error.WriteLineAsync($"msg: --batch line {chunk[index].Number}: {exception.ProblemTitle ?? "refused"} ({status})").ConfigureAwait(false);
        }

        await error.WriteLineAsync(
            $"msg: the gateway answered {status} ({exception.ProblemTitle ?? "refused"}): nothing of lines {Range(chunk)} was stored"
            + (storedBefore > 0 ? $"; the {storedBefore} commands before them were" : "")).ConfigureAwait(false);
    }

    private static string Range(Line[] chunk) => $"{chunk[0].Number}-{chunk[^1].Number}";

    [GeneratedRegex(@"^items\[(?<index>\d{1,9})\]\.?(?<field>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex ItemField();

    /// <summary>A command of the file and the line it is on.</summary>
    private sealed record Line(int Number, CommandBatchItem Item);
}
