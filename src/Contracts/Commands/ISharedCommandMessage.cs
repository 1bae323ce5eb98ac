namespace Messaging.Contracts.Commands;

/// <summary>
/// A message contract that several command types share (the types declared in configuration all use one): the
/// type is not its CLR type but the <c>Messaging-Command-Type</c> header and the stored command's type.
/// </summary>
public interface ISharedCommandMessage : ICommandMessage;
