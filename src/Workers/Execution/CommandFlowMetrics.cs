using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Messaging.Workers.Execution;

/// <summary>
/// What became of commands that could not run now, as metrics (meter <c>Messaging.Workers</c>) and as
/// events on the current span: delayed retries, deferrals and dead letters (by source). Terminal outcomes
/// and fallbacks are counted by <see cref="Store.Telemetry.CommandMetrics"/> as well.
/// </summary>
internal sealed class CommandFlowMetrics
{
    /// <summary>The workers' meter.</summary>
    public const string MeterName = "Messaging.Workers";

    private readonly Counter<long> _retries;
    private readonly Counter<long> _deferrals;
    private readonly Counter<long> _deadLetters;

    public CommandFlowMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _retries = meter.CreateCounter<long>("messaging.commands.retries_scheduled", description: "Delayed retries scheduled through the outbox.");
        _deferrals = meter.CreateCounter<long>("messaging.commands.deferred", description: "Commands put back through the outbox without counting an attempt, by reason (deferred: breaker open; rate_limited: provider quota).");
        _deadLetters = meter.CreateCounter<long>("messaging.commands.dead_lettered", description: "Messages stored in the dead-letter store, by source.");
    }

    public void RetryScheduled(string commandType, int nextAttempt)
    {
        _retries.Add(1, new KeyValuePair<string, object?>("messaging.command.type", commandType));
        Activity.Current?.AddEvent(new ActivityEvent("command.retry_scheduled", tags: new ActivityTagsCollection
        {
            ["messaging.command.type"] = commandType,
            ["messaging.command.attempt"] = nextAttempt,
        }));
    }

    /// <summary>A deferral; <paramref name="reason"/> is the error code shown on the command (<c>deferred</c>, <c>rate_limited</c>).</summary>
    public void Deferred(string commandType, string reason)
    {
        _deferrals.Add(1, new KeyValuePair<string, object?>("messaging.command.type", commandType),
            new KeyValuePair<string, object?>("messaging.command.defer_reason", reason));
        Activity.Current?.AddEvent(new ActivityEvent("command.deferred", tags: new ActivityTagsCollection
        {
            ["messaging.command.type"] = commandType,
            ["messaging.command.defer_reason"] = reason,
        }));
    }

    public void DeadLettered(string? commandType, string source)
    {
        _deadLetters.Add(1, new KeyValuePair<string, object?>("messaging.command.type", commandType ?? "(unknown)"),
            new KeyValuePair<string, object?>("messaging.dead_letter.source", source));
        Activity.Current?.AddEvent(new ActivityEvent("command.dead_lettered", tags: new ActivityTagsCollection
        {
            ["messaging.command.type"] = commandType,
            ["messaging.dead_letter.source"] = source,
        }));
    }

    /// <summary>A fallback ran (counted by <c>messaging.fallbacks</c>): the span event only.</summary>
    public static void FallbackRan(string commandType) =>
        Activity.Current?.AddEvent(new ActivityEvent("command.fallback", tags: new ActivityTagsCollection { ["messaging.command.type"] = commandType }));
}
