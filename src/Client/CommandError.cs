namespace Messaging.Client;

/// <summary>Why a command did not succeed.</summary>
/// <param name="Code">A stable code, for example <c>declined</c>.</param>
/// <param name="Message">A message safe to show to the client.</param>
public sealed record CommandError(string Code, string Message);
