using System.Collections.Concurrent;
using System.Text.Json;
using MassTransit;
using MassTransit.Logging;
using MassTransit.Metadata;
using MassTransit.Serialization;
using Messaging.Contracts.Commands;
using RabbitMQ.Client;

namespace Messaging.Store.Outbox;

/// <summary>
/// Writes a command row as the message MassTransit's RabbitMQ transport would have sent for it, without
/// deserialising the stored body: the body is spliced into MassTransit's JSON envelope
/// (<c>application/vnd.masstransit+json</c>, <c>SystemTextJsonMessageSerializer</c>) as raw JSON. The row's headers go
/// where MassTransit puts a send context's headers, both into the envelope's <c>headers</c> (what
/// <c>ConsumeContext.Headers</c> reads) and into the AMQP headers (what a drain of a fault queue reads); the trace context
/// goes into <c>MT-Activity-Id</c>, the transport header MassTransit's receive activity takes its parent from.
/// </summary>
internal sealed class MassTransitEnvelope
{
    /// <summary>The content type that selects MassTransit's envelope deserializer.</summary>
    public const string ContentType = "application/vnd.masstransit+json";

    private static readonly JsonEncodedText MessageIdName = JsonEncodedText.Encode("messageId");
    private static readonly JsonEncodedText CorrelationIdName = JsonEncodedText.Encode("correlationId");
    private static readonly JsonEncodedText ConversationIdName = JsonEncodedText.Encode("conversationId");
    private static readonly JsonEncodedText SourceAddressName = JsonEncodedText.Encode("sourceAddress");
    private static readonly JsonEncodedText DestinationAddressName = JsonEncodedText.Encode("destinationAddress");
    private static readonly JsonEncodedText MessageTypeName = JsonEncodedText.Encode("messageType");
    private static readonly JsonEncodedText MessageName = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText SentTimeName = JsonEncodedText.Encode("sentTime");
    private static readonly JsonEncodedText HeadersName = JsonEncodedText.Encode("headers");
    private static readonly JsonEncodedText HostName = JsonEncodedText.Encode("host");


    private static readonly byte[] Host = JsonSerializer.SerializeToUtf8Bytes(HostMetadataCache.Host, typeof(HostInfo),
        new JsonSerializerOptions(SystemTextJsonMessageSerializer.Options) { WriteIndented = false });

    private readonly Uri _busAddress;
    private readonly string _sourceAddress;
    private readonly ConcurrentDictionary<string, JsonEncodedText> _destinations = new(StringComparer.Ordinal);

    // Per command message type: its URNs as MassTransit lists them (the type and the interfaces it implements).
    private readonly Dictionary<string, JsonEncodedText[]> _messageTypes;

    /// <param name="busAddress">The bus's own address: the source address, and the base of destination addresses.</param>
    /// <param name="commandTypes">The registered command types: the message types this writer can send.</param>
    public MassTransitEnvelope(Uri busAddress, CommandTypeRegistry commandTypes)
    {
        ArgumentNullException.ThrowIfNull(commandTypes);
        _busAddress = busAddress;
        _sourceAddress = busAddress.ToString();
        _messageTypes = commandTypes.All
            .Select(c => c.MessageType).Distinct()
            .ToDictionary(t => t.FullName!, t => MessageTypeCache.GetMessageTypeNames(t).Select(n => JsonEncodedText.Encode(n)).ToArray(), StringComparer.Ordinal);
    }

    /// <summary>Whether <paramref name="messageType"/> (a CLR full name) is a command this writer knows.</summary>
    public bool IsKnownCommand(string messageType) => _messageTypes.ContainsKey(messageType);

    /// <summary>
    /// Reads a row's stored headers (a JSON object of strings) into AMQP headers, leaving out the W3C trace context,
    /// which it returns apart (it becomes the parent of the relay's span, whose id is sent instead).
    /// </summary>
    /// <exception cref="JsonException">The headers are not a JSON object of strings.</exception>
    public static Dictionary<string, object?> ReadHeaders(ReadOnlySpan<byte> utf8Json, out string? traceParent, out string? traceState)
    {
        traceParent = null;
        traceState = null;
        var headers = new Dictionary<string, object?>(8, StringComparer.Ordinal);
        var reader = new Utf8JsonReader(utf8Json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("The headers are not a JSON object.");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            if (!reader.Read() || reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException("A header is not a string.");
            }

            var value = reader.GetString();
            if (name == Contracts.MessageHeaders.TraceParent)
            {
                traceParent = value;
            }
            else if (name == Contracts.MessageHeaders.TraceState)
            {
                traceState = value;
            }
            else
            {
                headers[name] = value;
            }
        }

        return headers;
    }

    /// <summary>The AMQP properties MassTransit sets for a durable send of <paramref name="messageId"/>.</summary>
    public static BasicProperties Properties(Guid messageId, Dictionary<string, object?> headers, string? activityId)
    {
        if (activityId is not null)
        {
            headers[DiagnosticHeaders.ActivityId] = activityId;
        }

        var id = messageId.ToString();
        return new BasicProperties
        {
            ContentType = ContentType,
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = id,
            // MassTransit's correlation convention takes a Guid property named CommandId as the correlation id.
            CorrelationId = id,
            Headers = headers,
        };
    }

    /// <summary>
    /// Writes the envelope of a command with <paramref name="messageId"/> to <paramref name="writer"/>: the stored JSON
    /// body as the message, <paramref name="headers"/> (already holding <c>MT-Activity-Id</c>, see
    /// <see cref="Properties"/>) as its headers.
    /// </summary>
    public void Write(Utf8JsonWriter writer, Guid messageId, string messageType, string destination, ReadOnlySpan<byte> utf8Body,
        Dictionary<string, object?> headers, DateTime sentTime)
    {
        var types = _messageTypes[messageType];
        writer.WriteStartObject();
        writer.WriteString(MessageIdName, messageId);
        writer.WriteString(CorrelationIdName, messageId);
        writer.WriteString(ConversationIdName, messageId);
        writer.WriteString(SourceAddressName, _sourceAddress);
        writer.WriteString(DestinationAddressName, _destinations.GetOrAdd(destination, static (name, bus) => JsonEncodedText.Encode(new Uri(bus, "./" + name).ToString()), _busAddress));
        writer.WriteStartArray(MessageTypeName);
        foreach (var type in types)
        {
            writer.WriteStringValue(type);
        }

        writer.WriteEndArray();
        writer.WritePropertyName(MessageName);
        // The body is the UTF-8 text of a jsonb column: valid JSON by construction.
        writer.WriteRawValue(utf8Body, skipInputValidation: true);
        writer.WriteString(SentTimeName, sentTime);
        writer.WriteStartObject(HeadersName);
        foreach (var (name, value) in headers)
        {
            writer.WriteString(name, (string?)value);
        }

        writer.WriteEndObject();
        writer.WritePropertyName(HostName);
        writer.WriteRawValue(Host, skipInputValidation: true);
        writer.WriteEndObject();
    }
}
