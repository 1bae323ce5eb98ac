using System.Text.Json;
using System.Text.Json.Serialization;
using Messaging.Contracts.Commands;

namespace Messaging.Gateway.Commands;

/// <summary>The 202 body of <c>POST /api/commands/{type}</c> (also stored for idempotent replays).</summary>
/// <param name="Id">The command id.</param>
/// <param name="Type">The command type.</param>
/// <param name="Status">Always <c>Accepted</c>.</param>
/// <param name="StatusUrl">Where to read its status.</param>
/// <param name="AcceptedVia">
/// Which durable path took the command: <c>outbox</c> (committed in PostgreSQL) or <c>direct</c> (PostgreSQL
/// was unavailable; RabbitMQ confirmed it). Absent on replays of responses stored before this field existed.
/// </param>
internal sealed record CommandAccepted(
    Guid Id,
    string Type,
    [property: JsonConverter(typeof(JsonStringEnumConverter<CommandStatus>))] CommandStatus Status,
    string StatusUrl,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AcceptedVia = null)
{
    /// <summary>The <c>acceptedVia</c> of a command committed with its outbox row.</summary>
    public const string ViaOutbox = "outbox";

    /// <summary>The <c>acceptedVia</c> of a command published directly while PostgreSQL was down.</summary>
    public const string ViaDirect = DirectCommandPublisher.AcceptedVia;

    public static string StatusUrlFor(Guid id) => $"/api/commands/{id}";
}

/// <summary>
/// One command as <c>GET /api/commands/{id}</c> and the list show it. <c>stale: true</c> (with the
/// <c>Age</c> and <c>Warning: 110</c> headers) marks a status served from the gateway's short cache while
/// PostgreSQL was unavailable; the field is absent otherwise.
/// </summary>
internal sealed record CommandView(
    Guid Id,
    string Type,
    [property: JsonConverter(typeof(JsonStringEnumConverter<CommandStatus>))] CommandStatus Status,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Deadline,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Result,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CommandError? Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Stale = null);

/// <summary>Why a command failed, in words safe to show to its client.</summary>
internal sealed record CommandError(string Code, string Message);

/// <summary>A page of <c>GET /api/commands</c>: newest first; <c>nextCursor</c> is null on the last page.</summary>
internal sealed record CommandPage(IReadOnlyList<CommandView> Items, string? NextCursor);
