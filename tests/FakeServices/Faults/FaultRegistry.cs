using System.Collections.Concurrent;
using Messaging.FakeServices.Instances;

namespace Messaging.FakeServices.Faults;

/// <summary>The faults in force, per instance; faults with a deadline clear themselves when it passes.</summary>
internal sealed partial class FaultRegistry(TimeProvider timeProvider, ILogger<FaultRegistry> logger)
{
    private readonly ConcurrentDictionary<string, ActiveFaults> _faults = new(StringComparer.OrdinalIgnoreCase);

    public ActiveFaults Set(FakeInstance instance, FaultSettings settings)
    {
        var now = timeProvider.GetUtcNow();
        var active = new ActiveFaults(instance.Name, settings, now, settings.UntilSeconds is { } seconds ? now.AddSeconds(seconds) : null);
        _faults[instance.Name] = active;
        Log.FaultsSet(logger, instance.Name, settings.Outage, settings.ErrorRate, settings.LatencyMs, settings.TooManyRequests,
            settings.ResetConnections, settings.FailAfterEffect, active.Until);
        return active;
    }

    /// <summary>The faults of an instance, or null when none are in force.</summary>
    public ActiveFaults? Current(string instance)
    {
        if (!_faults.TryGetValue(instance, out var active))
        {
            return null;
        }

        if (active.Until is { } until && timeProvider.GetUtcNow() >= until)
        {
            // Remove only this value: a newer PUT that raced with us must survive.
            if (_faults.TryRemove(new KeyValuePair<string, ActiveFaults>(instance, active)))
            {
                Log.FaultsExpired(logger, instance);
            }

            return null;
        }

        return active;
    }

    public bool Clear(string instance)
    {
        var removed = _faults.TryRemove(instance, out _);
        Log.FaultsCleared(logger, instance);
        return removed;
    }

    public void ClearAll()
    {
        _faults.Clear();
        Log.AllFaultsCleared(logger);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, EventName = "FaultsSet", Level = LogLevel.Information,
            Message = "Faults set on {Instance}: outage={Outage} errorRate={ErrorRate} latencyMs={LatencyMs} tooManyRequests={TooManyRequests} resetConnections={ResetConnections} failAfterEffect={FailAfterEffect} until={Until}")]
        public static partial void FaultsSet(ILogger logger, string instance, bool outage, double errorRate, int latencyMs, bool tooManyRequests,
            bool resetConnections, bool failAfterEffect, DateTimeOffset? until);

        [LoggerMessage(EventId = 101, EventName = "FaultsCleared", Level = LogLevel.Information, Message = "Faults cleared on {Instance}")]
        public static partial void FaultsCleared(ILogger logger, string instance);

        [LoggerMessage(EventId = 102, EventName = "AllFaultsCleared", Level = LogLevel.Information, Message = "All faults cleared")]
        public static partial void AllFaultsCleared(ILogger logger);

        [LoggerMessage(EventId = 103, EventName = "FaultsExpired", Level = LogLevel.Information, Message = "Faults on {Instance} expired and were cleared")]
        public static partial void FaultsExpired(ILogger logger, string instance);
    }
}

/// <summary>Faults in force on one instance since <see cref="SetAt"/>, until <see cref="Until"/> (or until cleared).</summary>
internal sealed record ActiveFaults(string Instance, FaultSettings Settings, DateTimeOffset SetAt, DateTimeOffset? Until);
