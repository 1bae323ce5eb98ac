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

/// <summary>
/// A message contract that several command types share (the types declared in configuration all use one): the
/// type is not its CLR type but the <c>Messaging-Command-Type</c> header and the stored command's type.
/// </summary>
public interface ISharedCommandMessage : ICommandMessage;
