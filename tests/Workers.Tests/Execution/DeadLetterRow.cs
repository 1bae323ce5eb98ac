
namespace Messaging.Workers.Tests.Execution;

/// <summary>A dead letter as the tests read it.</summary>
public sealed record DeadLetterRow(long Id, Guid? CommandId, string? Tenant, string? Type, string Body, IReadOnlyDictionary<string, string> Headers,
    int Attempts, string? ExceptionType, string Reason, string Source, DateTimeOffset FirstFailureAt, DateTimeOffset LastFailureAt);
