using System.Text.Json;
using System.Text.Json.Serialization;

namespace Messaging.Client;

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

    /// <summary>When it expires, if it has a deadline (counted from <see cref="NotBefore"/> when it has one).</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Not executed before this time: the <see cref="SendOptions.NotBefore"/> it was sent with; null when it had none.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>The provider's result, once <see cref="CommandStatus.Succeeded"/>.</summary>
    public JsonElement? Result { get; init; }

    /// <summary>Why it did not succeed, in words safe to show.</summary>
    public CommandError? Error { get; init; }

    /// <summary>
    /// True when the gateway answered from its short cache because PostgreSQL was unavailable: the status may
    /// be behind (the response's <c>Age</c> header says by how much). Read again later for the current one.
    /// </summary>
    public bool Stale { get; init; }

    /// <summary>Where its completion callback stands; null for a command without one.</summary>
    public CallbackInfo? Callback { get; init; }

    /// <summary>Whether <see cref="Status"/> is terminal (see <see cref="CommandStatusExtensions.IsTerminal"/>).</summary>
    [JsonIgnore]
    public bool IsTerminal => Status.IsTerminal();
}
