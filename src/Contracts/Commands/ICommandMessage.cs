namespace Messaging.Contracts.Commands;

/// <summary>
/// What every command message on the bus carries in its body besides its payload. The command id is
/// also the transport message id and the idempotency key sent to the provider.
/// </summary>
public interface ICommandMessage
{
    /// <summary>The command id.</summary>
    Guid CommandId { get; }

    /// <summary>The tenant that owns the command.</summary>
    string Tenant { get; }
}
