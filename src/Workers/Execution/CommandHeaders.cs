using System.Globalization;
using MassTransit;
using MessageHeaders = Messaging.Contracts.MessageHeaders;

namespace Messaging.Workers.Execution;

/// <summary>The transport headers of a command message that execution uses (<see cref="MessageHeaders"/>).</summary>
/// <param name="Tenant">The tenant header, if present.</param>
/// <param name="Deadline">The deadline header, if present and readable.</param>
/// <param name="Attempt">The attempt header, if present and readable.</param>
/// <param name="DeadlineUnreadable">Whether a deadline header was present but not an ISO 8601 instant.</param>
internal readonly record struct CommandHeaders(string? Tenant, DateTimeOffset? Deadline, int? Attempt, bool DeadlineUnreadable)
{
    public static CommandHeaders Read(Headers headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var tenant = headers.TryGetHeader(MessageHeaders.Tenant, out var tenantValue) ? tenantValue?.ToString() : null;

        DateTimeOffset? deadline = null;
        var deadlineUnreadable = false;
        if (headers.TryGetHeader(MessageHeaders.Deadline, out var deadlineValue) && deadlineValue is not null)
        {
            deadline = ReadInstant(deadlineValue);
            deadlineUnreadable = deadline is null;
        }

        int? attempt = headers.TryGetHeader(MessageHeaders.Attempt, out var attemptValue) ? ReadInt(attemptValue) : null;
        return new CommandHeaders(string.IsNullOrEmpty(tenant) ? null : tenant, deadline, attempt, deadlineUnreadable);
    }

    private static DateTimeOffset? ReadInstant(object value) => value switch
    {
        DateTimeOffset instant => instant,
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, time.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : time.Kind)),
        string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) => parsed,
        _ => null,
    };

    private static int? ReadInt(object? value) => value switch
    {
        int number => number,
        long number when number is >= int.MinValue and <= int.MaxValue => (int)number,
        string text when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };
}
