using System.Text.Json;
using System.Text.Json.Serialization;
using Messaging.Contracts.Commands;

namespace Messaging.Gateway.Commands;

/// <summary>The 202 body of <c>POST /api/commands/{type}</c> (also stored for idempotent replays).</summary>
internal sealed record CommandAccepted(
    Guid Id,
    string Type,
    [property: JsonConverter(typeof(JsonStringEnumConverter<CommandStatus>))] CommandStatus Status,
    string StatusUrl)
{
    public static string StatusUrlFor(Guid id) => $"/api/commands/{id}";
}

/// <summary>One command as <c>GET /api/commands/{id}</c> and the list show it.</summary>
internal sealed record CommandView(
    Guid Id,
    string Type,
    [property: JsonConverter(typeof(JsonStringEnumConverter<CommandStatus>))] CommandStatus Status,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Deadline,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Result,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CommandError? Error);

/// <summary>Why a command failed, in words safe to show to its client.</summary>
internal sealed record CommandError(string Code, string Message);

/// <summary>A page of <c>GET /api/commands</c>: newest first; <c>nextCursor</c> is null on the last page.</summary>
internal sealed record CommandPage(IReadOnlyList<CommandView> Items, string? NextCursor);
