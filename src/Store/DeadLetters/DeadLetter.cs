namespace Messaging.Store.DeadLetters;

/// <summary>A message that could not be executed, stored whole.</summary>
/// <param name="CommandId">The command, when the message could be read that far.</param>
/// <param name="Tenant">Its tenant, when known.</param>
/// <param name="Type">Its command type name, when known.</param>
/// <param name="Body">The body exactly as received (it may not be JSON).</param>
/// <param name="Headers">The transport headers as received.</param>
/// <param name="Attempts">Execution attempts made.</param>
/// <param name="FirstFailureAt">The first failure.</param>
/// <param name="LastFailureAt">The last failure.</param>
/// <param name="ExceptionType">The kind of the last failure (a type name; never its message).</param>
/// <param name="Reason">A safe, short reason shown to the tenant and to operators.</param>
/// <param name="Source">How it got here: <c>retries-exhausted</c>, <c>poison</c>, <c>consumer-fault</c>, <c>delivery-limit</c> or <c>unsigned</c> (a command marked as published directly without a valid signature).</param>
public sealed record DeadLetter(
    Guid? CommandId,
    string? Tenant,
    string? Type,
    string Body,
    IReadOnlyDictionary<string, string> Headers,
    int Attempts,
    DateTimeOffset FirstFailureAt,
    DateTimeOffset LastFailureAt,
    string? ExceptionType,
    string Reason,
    string Source);
