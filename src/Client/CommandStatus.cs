using System.Text.Json;
using System.Text.Json.Serialization;

namespace Messaging.Client;

/// <summary>The lifecycle of a command, as the status API shows it.</summary>
[JsonConverter(typeof(CommandStatusJsonConverter))]
public enum CommandStatus
{
    /// <summary>A status this version of the client does not know (a newer gateway).</summary>
    Unknown,

    /// <summary>Stored durably; waiting for the relay.</summary>
    Accepted,

    /// <summary>Published to the bus.</summary>
    Dispatched,

    /// <summary>A worker is executing it.</summary>
    Processing,

    /// <summary>The provider accepted it; the result is stored.</summary>
    Succeeded,

    /// <summary>The provider refused it (a business refusal); not retried.</summary>
    Failed,

    /// <summary>Waiting for its time: a <c>Not-Before</c> that has not come, a delayed retry or a deferral.</summary>
    Scheduled,

    /// <summary>Stored in the dead-letter store; an operator can redrive it.</summary>
    DeadLettered,

    /// <summary>Its deadline passed before it could be executed.</summary>
    Expired,

    /// <summary>Its client cancelled it before an attempt started (<c>CancelAsync</c>); no further attempt is made.</summary>
    Cancelled,
}

/// <summary>The body of <c>GET /api/command-types</c>.</summary>
internal sealed record CommandTypeList(IReadOnlyList<CommandTypeInfo> Items);

/// <summary>Reads statuses by name; a name this client does not know becomes <see cref="CommandStatus.Unknown"/>.</summary>
internal sealed class CommandStatusJsonConverter : JsonConverter<CommandStatus>
{
    /// <summary>A status by name; <see cref="CommandStatus.Unknown"/> for a name this client does not know.</summary>
    public static CommandStatus Parse(string? name) =>
        Enum.TryParse<CommandStatus>(name, ignoreCase: true, out var status) && status != CommandStatus.Unknown ? status : CommandStatus.Unknown;

    public override CommandStatus Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? Parse(reader.GetString()) : CommandStatus.Unknown;

    public override void Write(Utf8JsonWriter writer, CommandStatus value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString());
    }
}
