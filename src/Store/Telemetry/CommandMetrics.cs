using System.Diagnostics.Metrics;

namespace Messaging.Store.Telemetry;

/// <summary>
/// The command path's figures, on the meter <see cref="CommandTelemetry.MeterName"/> (OpenTelemetry names;
/// the Prometheus exporter turns dots into underscores and adds unit and <c>_total</c> suffixes):
/// <list type="bullet">
/// <item><c>messaging.commands</c> (counter; Prometheus <c>messaging_commands_total</c>): one per command and outcome,
/// tags <c>messaging.command.type</c> and <c>messaging.command.outcome</c> = accepted | succeeded | failed | dead_lettered | expired | cancelled.
/// The gateway counts <c>accepted</c> and <c>cancelled</c>; the workers count the other terminal outcomes.</item>
/// <item><c>messaging.command.duration</c> (histogram, seconds): accepted → terminal, tags type and outcome.</item>
/// <item><c>messaging.outbox.publish.duration</c> (histogram, seconds): an outbox row due → the broker's confirm,
/// tags <c>messaging.outbox.kind</c> (command | event) and <c>messaging.destination.name</c>.</item>
/// <item><c>messaging.outbox.cleaned</c> (counter, rows): rows deleted by the retention job, tag
/// <c>messaging.table</c> = outbox | inbox | commands | dead_letters | audit | idempotency_keys.</item>
/// <item><c>messaging.fallbacks</c> (counter): fallbacks run for dead-lettered commands, tags type and
/// <c>messaging.fallback.result</c> = completed | failed.</item>
/// </list>
/// </summary>
public sealed class CommandMetrics
{
    private static readonly double[] DurationBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
    private static readonly double[] PublishBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
    private readonly Counter<long> _commands;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _publish;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _cleaned;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public CommandMetrics(IMeterFactory meterFactory, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _timeProvider = timeProvider;
        var meter = meterFactory.Create(CommandTelemetry.MeterName);
        _commands = meter.CreateCounter<long>("messaging.commands", "{command}", "Commands by type and outcome: accepted by the gateway, then one terminal outcome.");
        _duration = meter.CreateHistogram("messaging.command.duration", "s", "Time from acceptance (HTTP 202) to the terminal status.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _publish = meter.CreateHistogram("messaging.outbox.publish.duration", "s", "Time from an outbox row being due to the broker's publisher confirm.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = PublishBuckets });
        _fallbacks = meter.CreateCounter<long>("messaging.fallbacks", "{fallback}", "Fallback actions run for dead-lettered commands.");
        _cleaned = meter.CreateCounter<long>("messaging.outbox.cleaned", "{row}", "Rows deleted by the retention job, by table.");
    }

    /// <summary>Counts a command the gateway accepted (committed, 202).</summary>
    public void Accepted(string commandType) =>
        _commands.Add(1, Type(commandType), Outcome(CommandOutcome.Accepted));

    /// <summary>
    /// Counts a terminal outcome and records the end-to-end latency from the command's acceptance, which is
    /// read from <paramref name="commandId"/> when it is a version 7 UUID (the gateway and the outbox library
    /// create ids with <c>Guid.CreateVersion7(createdAt)</c>, so its timestamp is the command's <c>created_at</c>
    /// to the millisecond). Other ids are counted without a latency.
    /// </summary>
    public void Completed(string commandType, CommandOutcome outcome, Guid commandId)
    {
        if (AcceptedAt(commandId) is { } acceptedAt)
        {
            Completed(commandType, outcome, acceptedAt);
            return;
        }

        _commands.Add(1, Type(commandType), Outcome(outcome));
    }

    /// <summary>Counts a terminal outcome of a command accepted at <paramref name="acceptedAt"/> and records its latency.</summary>
    public void Completed(string commandType, CommandOutcome outcome, DateTimeOffset acceptedAt)
    {
        _commands.Add(1, Type(commandType), Outcome(outcome));
        var seconds = Math.Max(0, (_timeProvider.GetUtcNow() - acceptedAt).TotalSeconds);
        _duration.Record(seconds, Type(commandType), Outcome(outcome));
    }

    /// <summary>Records the relay's publish lag of one outbox row: from <paramref name="dueAt"/> until the broker confirmed it.</summary>
    public void Published(string destination, bool isEvent, DateTimeOffset dueAt)
    {
        var seconds = Math.Max(0, (_timeProvider.GetUtcNow() - dueAt).TotalSeconds);
        _publish.Record(seconds,
            new KeyValuePair<string, object?>("messaging.outbox.kind", isEvent ? "event" : "command"),
            new KeyValuePair<string, object?>("messaging.destination.name", destination));
    }

    /// <summary>Counts a fallback run for a dead-lettered command of <paramref name="commandType"/>.</summary>
    public void FallbackTaken(string commandType, bool completed) =>
        _fallbacks.Add(1, Type(commandType), new KeyValuePair<string, object?>("messaging.fallback.result", completed ? "completed" : "failed"));

    /// <summary>Counts <paramref name="rows"/> deleted from <paramref name="table"/> (<c>outbox</c>, <c>inbox</c>, <c>commands</c>,
    /// <c>dead_letters</c>, <c>audit</c> or <c>idempotency_keys</c>) by the retention job.</summary>
    public void Cleaned(string table, long rows) =>
        _cleaned.Add(rows, new KeyValuePair<string, object?>("messaging.table", table));

    /// <summary>The creation time carried by a version 7 UUID, or null for any other id.</summary>
    public static DateTimeOffset? AcceptedAt(Guid commandId)
    {
        if (commandId.Version != 7)
        {
            return null;
        }

        Span<byte> bytes = stackalloc byte[16];
        commandId.TryWriteBytes(bytes, bigEndian: true, out _);
        long milliseconds = 0;
        for (var i = 0; i < 6; i++)
        {
            milliseconds = (milliseconds << 8) | bytes[i];
        }

        return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
    }

    private static KeyValuePair<string, object?> Type(string commandType) => new(CommandTelemetry.CommandType, commandType);

    private static KeyValuePair<string, object?> Outcome(CommandOutcome outcome) => new(CommandTelemetry.Outcome, outcome switch
    {
        CommandOutcome.Accepted => "accepted",
        CommandOutcome.Succeeded => "succeeded",
        CommandOutcome.Failed => "failed",
        CommandOutcome.DeadLettered => "dead_lettered",
        CommandOutcome.Cancelled => "cancelled",
        _ => "expired",
    });
}
