using System.Text.Json;
using System.Text.Json.Serialization;
using Messaging.Contracts.Commands;

namespace Messaging.Gateway.Commands;

/// <summary>
/// One command as <c>GET /api/commands/{id}</c> and the list show it. <c>stale: true</c> (with the
/// <c>Age</c> and <c>Warning: 110</c> headers) marks a status served from the gateway's short cache while
/// PostgreSQL was unavailable; the field is absent otherwise. <c>notBefore</c> is present for a command accepted with a
/// <c>Not-Before</c>.
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
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CommandErrorView? Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Stale = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? NotBefore = null);

/// <summary>Why a command failed, in words safe to show to its client.</summary>
internal sealed record CommandErrorView(string Code, string Message);

/// <summary>A page of <c>GET /api/commands</c>: newest first; <c>nextCursor</c> is null on the last page.</summary>
internal sealed record CommandPage(IReadOnlyList<CommandView> Items, string? NextCursor);
