using System.Globalization;
using MassTransit;
using MessageHeaders = Messaging.Contracts.MessageHeaders;

namespace Messaging.Workers.Execution;

/// <summary>The transport headers of a command message that execution uses (<see cref="MessageHeaders"/>).</summary>
/// <param name="Tenant">The tenant header, if present.</param>
/// <param name="CommandType">The command type header, if present.</param>
/// <param name="Deadline">The deadline header, if present and readable.</param>
/// <param name="Attempt">The attempt header, if present and readable.</param>
/// <param name="DeadlineUnreadable">Whether a deadline header was present but not an ISO 8601 instant.</param>
internal readonly record struct CommandHeaders(string? Tenant, string? CommandType, DateTimeOffset? Deadline, int? Attempt, bool DeadlineUnreadable)
{
    public static CommandHeaders Read(Headers headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var tenant = Text(headers, MessageHeaders.Tenant);
        var commandType = Text(headers, MessageHeaders.CommandType);

        DateTimeOffset? deadline = null;
        var deadlineUnreadable = false;
        if (headers.TryGetHeader(MessageHeaders.Deadline, out var deadlineValue) && deadlineValue is not null)
        {
            deadline = ReadInstant(deadlineValue);
            deadlineUnreadable = deadline is null;
        }

        int? attempt = headers.TryGetHeader(MessageHeaders.Attempt, out var attemptValue) ? ReadInt(attemptValue) : null;
        return new CommandHeaders(tenant, commandType, deadline, attempt, deadlineUnreadable);
    }

    /// <summary>
    /// What makes these headers unusable for a message of <paramref name="expectedType"/> whose body names
    /// <paramref name="messageTenant"/>, as a safe reason; null when they are fine. Such a message is poison:
    /// it is dead-lettered without being executed or retried.
    /// </summary>
    public string? Problem(string expectedType, string messageTenant)
    {
        if (Tenant is null)
        {
            return $"The message has no {MessageHeaders.Tenant} header.";
        }

        if (!string.Equals(Tenant, messageTenant, StringComparison.Ordinal))
        {
            return $"The {MessageHeaders.Tenant} header names another tenant than the message body.";
        }

        if (!string.Equals(CommandType, expectedType, StringComparison.Ordinal))
        {
            return $"The {MessageHeaders.CommandType} header is missing or does not name {expectedType}.";
        }

        if (Attempt is not > 0)
        {
            return $"The {MessageHeaders.Attempt} header is missing or not a positive whole number.";
        }

        return DeadlineUnreadable ? $"The {MessageHeaders.Deadline} header is not an ISO 8601 instant." : null;
    }

    private static string? Text(Headers headers, string name)
    {
        var value = headers.TryGetHeader(name, out var raw) ? raw?.ToString() : null;
        return string.IsNullOrEmpty(value) ? null : value;
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
