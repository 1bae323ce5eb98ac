using Messaging.Contracts.Commands;

namespace Messaging.Gateway.Tests.CommandTypes;

/// <summary>The message of <c>tests.extra</c>.</summary>
public sealed record ExtraCommand : ICommandMessage
{
    public required Guid CommandId { get; init; }

    public required string Tenant { get; init; }

    public required string Sku { get; init; }

    public required int Quantity { get; init; }

    public string? Note { get; init; }
}
