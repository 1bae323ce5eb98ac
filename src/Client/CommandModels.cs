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

    /// <summary>A delayed retry or deferral is pending.</summary>
    Scheduled,

    /// <summary>Stored in the dead-letter store; an operator can redrive it.</summary>
    DeadLettered,

    /// <summary>Its deadline passed before it could be executed.</summary>
    Expired,
}

/// <summary>Helpers over <see cref="CommandStatus"/>.</summary>
public static class CommandStatusExtensions
{
    /// <summary>Whether no further transition is expected without operator action.</summary>
    public static bool IsTerminal(this CommandStatus status) =>
        status is CommandStatus.Succeeded or CommandStatus.Failed or CommandStatus.DeadLettered or CommandStatus.Expired;
}

/// <summary>The gateway's answer to a send: the command is stored and will be executed.</summary>
public sealed record CommandAccepted
{
    /// <summary>The command id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The command type.</summary>
    public required string Type { get; init; }

    /// <summary>The status at acceptance (<see cref="CommandStatus.Accepted"/>).</summary>
    public required CommandStatus Status { get; init; }

    /// <summary>Where to read its status, relative to the gateway.</summary>
    public required string StatusUrl { get; init; }

    /// <summary>True when the gateway answered with the first response for this idempotency key (<c>Idempotent-Replayed</c>).</summary>
    public bool Replayed { get; init; }

    /// <summary>The idempotency key the send used (the caller's, or the one the client made).</summary>
    public string IdempotencyKey { get; init; } = "";

    /// <summary>
    /// Which durable path accepted it: <c>outbox</c> (PostgreSQL, the normal path) or <c>direct</c> (published
    /// straight to RabbitMQ with a confirm while PostgreSQL was unavailable). Null from gateways that do not say.
    /// </summary>
    public string? AcceptedVia { get; init; }
}

/// <summary>One command as <c>GET /api/commands/{id}</c> shows it.</summary>
public sealed record CommandInfo
{
    /// <summary>The command id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The command type.</summary>
    public required string Type { get; init; }

    /// <summary>The current status.</summary>
    public required CommandStatus Status { get; init; }

    /// <summary>Executions started so far.</summary>
    public int Attempts { get; init; }

    /// <summary>When the gateway accepted it.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When its status last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When it expires, if it has a deadline.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>The provider's result, once <see cref="CommandStatus.Succeeded"/>.</summary>
    public JsonElement? Result { get; init; }

    /// <summary>Why it did not succeed, in words safe to show.</summary>
    public CommandError? Error { get; init; }

    /// <summary>
    /// True when the gateway answered from its short cache because PostgreSQL was unavailable: the status may
    /// be behind (the response's <c>Age</c> header says by how much). Read again later for the current one.
    /// </summary>
    public bool Stale { get; init; }

    /// <summary>Whether <see cref="Status"/> is terminal (see <see cref="CommandStatusExtensions.IsTerminal"/>).</summary>
    [JsonIgnore]
    public bool IsTerminal => Status.IsTerminal();
}

/// <summary>Why a command did not succeed.</summary>
/// <param name="Code">A stable code, for example <c>declined</c>.</param>
/// <param name="Message">A message safe to show to the client.</param>
public sealed record CommandError(string Code, string Message);

/// <summary>A page of <c>GET /api/commands</c>, newest first.</summary>
/// <param name="Items">The commands of this page.</param>
/// <param name="NextCursor">Pass it as <see cref="CommandListQuery.Cursor"/> for the next page; null on the last page.</param>
public sealed record CommandPage(IReadOnlyList<CommandInfo> Items, string? NextCursor);

/// <summary>Filters of <see cref="MessagingClient.ListAsync"/>; every one optional.</summary>
public sealed record CommandListQuery
{
    /// <summary>Only commands in this status.</summary>
    public CommandStatus? Status { get; init; }

    /// <summary>Only commands of this type.</summary>
    public string? Type { get; init; }

    /// <summary>Page size, 1–100 (the gateway's default is 20).</summary>
    public int? Limit { get; init; }

    /// <summary>The <see cref="CommandPage.NextCursor"/> of the previous page.</summary>
    public string? Cursor { get; init; }
}

/// <summary>A command type the gateway accepts, as <c>GET /api/command-types</c> lists it.</summary>
public sealed record CommandTypeInfo
{
    /// <summary>The type name, for example <c>payments.charge</c>: what <see cref="MessagingClient.SendAsync(string, JsonElement, SendOptions?, CancellationToken)"/> takes.</summary>
    public required string Name { get; init; }

    /// <summary>The provider that executes it, for example <c>payments</c>.</summary>
    public string? Provider { get; init; }

    /// <summary>The deadline of a command sent without <see cref="SendOptions.Timeout"/>, as the gateway is configured now.</summary>
    public TimeSpan? DefaultTimeout { get; init; }

    /// <summary>The JSON Schema (draft 2020-12) of the command's body.</summary>
    public JsonElement? Schema { get; init; }
}

/// <summary>The body of <c>GET /api/command-types</c>.</summary>
internal sealed record CommandTypeList(IReadOnlyList<CommandTypeInfo> Items);

/// <summary>Reads statuses by name; a name this client does not know becomes <see cref="CommandStatus.Unknown"/>.</summary>
internal sealed class CommandStatusJsonConverter : JsonConverter<CommandStatus>
{
    public override CommandStatus Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && Enum.TryParse<CommandStatus>(reader.GetString(), ignoreCase: true, out var status)
            && status != CommandStatus.Unknown
            ? status
            : CommandStatus.Unknown;

    public override void Write(Utf8JsonWriter writer, CommandStatus value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString());
    }
}
