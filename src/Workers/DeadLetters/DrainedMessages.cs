using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Messaging.Contracts.Commands;
using Messaging.Store.Bus;
using Messaging.Store.DeadLetters;
using Messaging.Workers.Execution;
using RabbitMQ.Client;
using MessageHeaders = Messaging.Contracts.MessageHeaders;

namespace Messaging.Workers.DeadLetters;

/// <summary>A message taken from a fault queue, as a dead letter and, when it could be read, its command.</summary>
/// <param name="Letter">The dead letter to store.</param>
/// <param name="Command">The command inside it, or null when it could not be read.</param>
internal sealed record DrainedMessage(DeadLetter Letter, ICommandMessage? Command);

/// <summary>
/// Turns a message from a fault queue (<c>&lt;queue&gt;_error</c>, <c>&lt;queue&gt;_skipped</c>, or the
/// broker's <c>messaging.dead-letters</c>) into a dead letter, keeping it whole: every header as text, and
/// the body as received — except that for a MassTransit envelope holding a known command the body kept is
/// that command (so it can be redriven) and the envelope's headers join the transport headers. A body that
/// is not UTF-8 text is kept in base64 (header <c>Messaging-Body-Encoding: base64</c>).
/// </summary>
internal static class DrainedMessages
{
    /// <summary>The header that names the queue a dead letter was drained from.</summary>
    public const string QueueHeader = "Messaging-Dead-Letter-Queue";

    /// <summary>The header set when the body is kept in base64.</summary>
    public const string BodyEncodingHeader = "Messaging-Body-Encoding";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static DrainedMessage Read(CommandTypeRegistry commandTypes, string queue, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(properties);
        var headers = Headers(properties);
        headers[QueueHeader] = queue;
        string text;
        try
        {
            text = StrictUtf8.GetString(body.Span);
            if (text.Contains('\0', StringComparison.Ordinal))
            {
                throw new DecoderFallbackException("NUL characters cannot be stored as text.");
            }
        }
        catch (DecoderFallbackException)
        {
            text = Convert.ToBase64String(body.Span);
            headers[BodyEncodingHeader] = "base64";
        }

        var (command, descriptor, commandJson) = headers.ContainsKey(BodyEncodingHeader) ? default : ReadEnvelope(commandTypes, text, headers);
        var commandId = command?.CommandId ?? (Guid.TryParse(properties.MessageId, out var id) ? id : null);
        var tenant = command?.Tenant ?? headers.GetValueOrDefault(MessageHeaders.Tenant);
        var type = descriptor?.TypeName
            ?? (headers.GetValueOrDefault(MessageHeaders.CommandType) is { } named && commandTypes.TryGet(named, out var known) ? known.TypeName : null);
        var attempts = int.TryParse(headers.GetValueOrDefault(MessageHeaders.Attempt), NumberStyles.Integer, CultureInfo.InvariantCulture, out var attempt)
            ? attempt
            : 0;
        var (source, reason, exceptionType) = Classify(queue, headers, command is not null, type);
        if (source == CommandOutcomes.PoisonSource)
        {
            attempts = 0;
        }

        return new DrainedMessage(
            new DeadLetter(commandId, tenant, type, commandJson ?? text, headers, attempts, now, now, exceptionType, reason, source),
            command);
    }

    private static (string Source, string Reason, string? ExceptionType) Classify(string queue, Dictionary<string, string> headers, bool readable, string? type)
    {
        if (queue == CommandTopology.DeadLetterQueue)
        {
            var why = headers.GetValueOrDefault("x-first-death-reason");
            var reason = why switch
            {
                "delivery_limit" or null =>
                    $"The broker dead-lettered the message after more than {CommandTopology.DeliveryLimit} deliveries without an acknowledgement (a crash loop).",
                _ => $"The broker dead-lettered the message ({why}).",
            };
            return ("delivery-limit", reason, null);
        }

        if (queue.EndsWith("_skipped", StringComparison.Ordinal))
        {
            return (CommandOutcomes.PoisonSource, "The message is of a type that no consumer of its queue handles.", null);
        }

        var exceptionType = headers.GetValueOrDefault("MT-Fault-ExceptionType");
        if (!readable)
        {
            return (CommandOutcomes.PoisonSource,
                type is null ? "The message body could not be read as a command." : $"The message body could not be read as a {type} command.",
                exceptionType);
        }

        var shortName = exceptionType?[(exceptionType.LastIndexOf('.') + 1)..] ?? "an unexpected error";
        return (CommandOutcomes.ConsumerFaultSource, $"The consumer failed on the message ({shortName}).", exceptionType);
    }

    // A MassTransit envelope: {"messageId", "messageType": ["urn:message:…"], "headers": {…}, "message": {…}}.
    private static (ICommandMessage? Command, CommandDescriptor? Descriptor, string? CommandJson) ReadEnvelope(CommandTypeRegistry commandTypes, string text, Dictionary<string, string> headers)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return default;
            }

            if (root.TryGetProperty("headers", out var envelopeHeaders) && envelopeHeaders.ValueKind == JsonValueKind.Object)
            {
                foreach (var header in envelopeHeaders.EnumerateObject())
                {
                    headers.TryAdd(header.Name, header.Value.ValueKind == JsonValueKind.String ? header.Value.GetString()! : header.Value.GetRawText());
                }
            }

            if (!root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("messageType", out var types) || types.ValueKind != JsonValueKind.Array)
            {
                return default;
            }

            var descriptor = types.EnumerateArray()
                .Select(t => t.ValueKind == JsonValueKind.String ? ByUrn(commandTypes, t.GetString()!, headers) : null)
                .FirstOrDefault(d => d is not null);
            if (descriptor is null)
            {
                return default;
            }

            var json = message.GetRawText();
            return JsonSerializer.Deserialize(json, descriptor.MessageType, CommandDelivery.BodyJson) is ICommandMessage command
                ? (command, descriptor, json)
                : default;
        }
        catch (JsonException)
        {
            return default;
        }
    }

    // A message type several command types share names none of them: its Messaging-Command-Type header does.
    private static CommandDescriptor? ByUrn(CommandTypeRegistry commandTypes, string urn, Dictionary<string, string> headers) =>
        commandTypes.All.FirstOrDefault(c => string.Equals(urn, $"urn:message:{c.MessageType.Namespace}:{c.MessageType.Name}", StringComparison.Ordinal)
            && (!CommandTypeRegistry.IsShared(c.MessageType)
                || string.Equals(headers.GetValueOrDefault(MessageHeaders.CommandType), c.TypeName, StringComparison.Ordinal)));

    private static Dictionary<string, string> Headers(IReadOnlyBasicProperties properties)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        if (properties.Headers is { } transport)
        {
            foreach (var (name, value) in transport)
            {
                if (value is not null)
                {
                    headers[name] = Text(value);
                }
            }
        }

        if (properties.IsContentTypePresent())
        {
            headers.TryAdd("content_type", properties.ContentType!);
        }

        if (properties.IsMessageIdPresent())
        {
            headers.TryAdd("message_id", properties.MessageId!);
        }

        return headers;
    }

    private static string Text(object value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string text => text,
        AmqpTimestamp timestamp => DateTimeOffset.FromUnixTimeSeconds(timestamp.UnixTime).ToString("O", CultureInfo.InvariantCulture),
        IDictionary or IList => JsonSerializer.Serialize(Plain(value)),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    // AMQP tables and arrays (x-death) as plain JSON values.
    private static object? Plain(object? value) => value switch
    {
        null => null,
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        AmqpTimestamp timestamp => DateTimeOffset.FromUnixTimeSeconds(timestamp.UnixTime).ToString("O", CultureInfo.InvariantCulture),
        IDictionary<string, object?> table => table.ToDictionary(e => e.Key, e => Plain(e.Value), StringComparer.Ordinal),
        IList list => list.Cast<object?>().Select(Plain).ToList(),
        _ => value,
    };
}
