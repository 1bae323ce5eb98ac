using System.Text.Json;
using Messaging.Contracts.Commands;

namespace Messaging.Contracts.Http;

/// <summary>
/// The message of every command type declared in configuration (<c>Commands:Types:&lt;type&gt;:Kind = http</c>): the
/// request body as the gateway validated it against the type's JSON Schema. Several types share this contract;
/// which one a message is travels in the <c>Messaging-Command-Type</c> header and in the stored command.
/// </summary>
public sealed record HttpCommand : ISharedCommandMessage
{
    /// <inheritdoc />
    public required Guid CommandId { get; init; }

    /// <inheritdoc />
    public required string Tenant { get; init; }

    /// <summary>The request body (a JSON object), sent to the provider as it is.</summary>
    public required JsonElement Body { get; init; }
}
