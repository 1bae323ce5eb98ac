
namespace Messaging.Workers.Tests.Execution;

/// <summary>An outbox row as the tests read it.</summary>
public sealed record OutboxRow(long Id, string Destination, string MessageType, string Body, IReadOnlyDictionary<string, string> Headers,
    DateTimeOffset NotBefore, DateTimeOffset CreatedAt, string Kind, bool Sent);
