
namespace Messaging.Workers.Tests.Execution;

/// <summary>A command row as the tests read it.</summary>
public sealed record CommandRow(string Status, int Attempts, string? ResultJson, string? ErrorCode, string? ErrorMessage, bool InInbox)
{
    public DateTimeOffset? FirstFailureAt { get; init; }

    public string ClientId { get; init; } = "";

    public string Tenant { get; init; } = "";

    public string Type { get; init; } = "";

    public string PayloadJson { get; init; } = "";
}
