using System.Text.Json;
using System.Text.Json.Serialization;
using Messaging.Contracts.Commands;

namespace Messaging.Gateway.Commands;

/// <summary>
/// One command as <c>GET /api/commands/{id}</c> and the list show it. <c>stale: true</c> (with the
/// <c>Age</c> and <c>Warning: 110</c> headers) marks a status served from the gateway's short cache while
/// PostgreSQL was unavailable; the field is absent otherwise. <c>notBefore</c> is present for a command accepted with a
/// <c>Not-Before</c>, <c>callback</c> for one accepted with a <c>Callback-Url</c>.
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
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? NotBefore = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CallbackView? Callback = null);

/// <summary>
/// Where a command's completion callback stands: <c>Pending</c> (the command has not ended, or its event is queued),
/// <c>Delivering</c> (an attempt failed; a retry is scheduled), <c>Delivered</c>, or <c>DeadLettered</c> (retries spent); the
/// delivery attempts of the last event, and the last attempt's error, if any.
/// </summary>
internal sealed record CallbackView(
    string State,
    int Attempts,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LastError);

/// <summary>Why a command failed, in words safe to show to its client.</summary>
internal sealed record CommandErrorView(string Code, string Message);

/// <summary>A page of <c>GET /api/commands</c>: newest first; <c>nextCursor</c> is null on the last page.</summary>
internal sealed record CommandPage(IReadOnlyList<CommandView> Items, string? NextCursor);
