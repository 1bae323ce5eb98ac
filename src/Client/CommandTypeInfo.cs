using System.Text.Json;

namespace Messaging.Client;

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
