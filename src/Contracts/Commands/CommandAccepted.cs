using System.Text.Json.Serialization;

namespace Messaging.Contracts.Commands;

/// <summary>
/// The 202 body of <c>POST /api/commands/{type}</c>: the gateway answers it, and every way in (the HTTP API, the
/// outbox library, a directly published command recorded by a worker) stores it with an idempotency key for replays.
/// </summary>
/// <param name="Id">The command id.</param>
/// <param name="Type">The command type.</param>
/// <param name="Status"><c>Accepted</c>, or <c>Scheduled</c> for a command that waits for its <c>Not-Before</c>.</param>
/// <param name="StatusUrl">Where to read its status.</param>
/// <param name="AcceptedVia">
/// Which durable path took the command: <c>outbox</c> (committed in PostgreSQL) or <c>direct</c> (PostgreSQL
/// was unavailable; RabbitMQ confirmed it). Absent on replays of responses stored before this field existed.
/// </param>
public sealed record CommandAccepted(
    Guid Id,
    string Type,
    [property: JsonConverter(typeof(JsonStringEnumConverter<CommandStatus>))] CommandStatus Status,
    string StatusUrl,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AcceptedVia = null)
{
    /// <summary>The <c>acceptedVia</c> of a command committed with its outbox row.</summary>
    public const string ViaOutbox = "outbox";

    /// <summary>The <c>acceptedVia</c> of a command published directly while PostgreSQL was down.</summary>
    public const string ViaDirect = "direct";

    /// <summary>The status URL of a command, as the 202 answer and <c>Location</c> give it.</summary>
    public static string StatusUrlFor(Guid id) => $"/api/commands/{id}";
}
