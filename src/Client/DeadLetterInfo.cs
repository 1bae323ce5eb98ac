namespace Messaging.Client;

/// <summary>A stored dead letter as the monitoring API shows it (without its body).</summary>
/// <param name="Id">The dead letter's id.</param>
/// <param name="CommandId">Its command, when the message could be read.</param>
/// <param name="Tenant">Its tenant, when known.</param>
/// <param name="Type">Its command type, when known.</param>
/// <param name="Attempts">Executions before it was dead-lettered.</param>
/// <param name="FirstFailureAt">The first failure.</param>
/// <param name="LastFailureAt">The last failure.</param>
/// <param name="ExceptionType">The kind of the last failure.</param>
/// <param name="Reason">A safe, short reason.</param>
/// <param name="Source">How it got here: <c>retries-exhausted</c>, <c>poison</c>, <c>consumer-fault</c> or <c>delivery-limit</c>.</param>
/// <param name="CreatedAt">When it was stored.</param>
/// <param name="RedrivenAt">When it was redriven, if it was.</param>
/// <param name="RedrivenBy">Who redrove it.</param>
public sealed record DeadLetterInfo(
    long Id,
    Guid? CommandId,
    string? Tenant,
    string? Type,
    int Attempts,
    DateTimeOffset FirstFailureAt,
    DateTimeOffset LastFailureAt,
    string? ExceptionType,
    string Reason,
    string Source,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RedrivenAt,
    string? RedrivenBy);
