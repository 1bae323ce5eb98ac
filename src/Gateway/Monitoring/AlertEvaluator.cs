using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Monitoring;

/// <summary>
/// Turns the rules' conditions into alerts: a condition becomes an alert once it has held for its rule's duration,
/// and the alert clears by itself when the condition is gone. Fired and cleared alerts are logged (events
/// <c>AlertFired</c>/<c>AlertCleared</c>) and handed to the webhook. Called by <see cref="MonitoringSampler"/> after
/// every sample; not thread-safe (one sampler calls it).
/// </summary>
internal sealed partial class AlertEvaluator(IOptionsMonitor<AlertsOptions> options, AlertWebhook webhook, ILogger<AlertEvaluator> logger)
{
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Firing> _firing = new(StringComparer.Ordinal);

    /// <summary>Evaluates every rule on <paramref name="sample"/> and returns the alerts firing now, most severe and oldest first.</summary>
    public IReadOnlyList<AlertView> Evaluate(MonitoringSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var current = options.CurrentValue;
        var now = sample.At;
        foreach (var (rule, evaluate) in AlertRules.All)
        {
            var candidates = evaluate(sample, current);
            if (candidates is null)
            {
                // The rule's input is missing this time: its alerts stay as they were.
                continue;
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var candidate in candidates)
            {
                var key = Key(candidate.Rule, candidate.Subject);
                seen.Add(key);
                if (!_pending.TryGetValue(key, out var pending))
                {
                    pending = new Pending(candidate.Since is { } since && since < now ? since : now);
                    _pending[key] = pending;
                }

                if (_firing.TryGetValue(key, out var firing))
                {
                    // Still firing: keep its start, refresh what it says.
                    _firing[key] = firing with { Alert = firing.Alert with { Severity = candidate.Severity, Message = candidate.Message } };
                }
                else if (now - pending.Since >= candidate.For)
                {
                    var alert = new AlertView(candidate.Rule, candidate.Severity, pending.Since, candidate.Message);
                    _firing[key] = new Firing(candidate.Subject, alert);
                    Log.AlertFired(logger, candidate.Rule, candidate.Severity, candidate.Subject, candidate.Message);
                    webhook.Enqueue(new AlertNotification("firing", alert.Rule, alert.Severity, candidate.Subject, alert.Since, now, alert.Message));
                }
            }

            foreach (var key in _pending.Keys.Where(k => k.StartsWith(rule + "\n", StringComparison.Ordinal) && !seen.Contains(k)).ToList())
            {
                _pending.Remove(key);
                if (_firing.Remove(key, out var cleared))
                {
                    Log.AlertCleared(logger, cleared.Alert.Rule, cleared.Subject, (now - cleared.Alert.Since).TotalSeconds);
                    webhook.Enqueue(new AlertNotification("resolved", cleared.Alert.Rule, cleared.Alert.Severity, cleared.Subject, cleared.Alert.Since, now,
                        cleared.Alert.Message));
                }
            }
        }

        return _firing.Values
            .Select(f => f.Alert)
            .OrderBy(a => a.Severity == AlertRules.Critical ? 0 : 1)
            .ThenBy(a => a.Since)
            .ThenBy(a => a.Rule, StringComparer.Ordinal)
            .ToList();
    }

    private static string Key(string rule, string subject) => rule + "\n" + subject;

    private sealed record Pending(DateTimeOffset Since);

    private sealed record Firing(string Subject, AlertView Alert);

    private static partial class Log
    {
        [LoggerMessage(EventId = 7000, EventName = "AlertFired", Level = LogLevel.Warning,
            Message = "Alert {Rule} ({Severity}) fired for {Subject}: {AlertMessage}")]
        public static partial void AlertFired(ILogger logger, string rule, string severity, string subject, string alertMessage);

        [LoggerMessage(EventId = 7001, EventName = "AlertCleared", Level = LogLevel.Information,
            Message = "Alert {Rule} cleared for {Subject} after {DurationSeconds} s")]
        public static partial void AlertCleared(ILogger logger, string rule, string subject, double durationSeconds);
    }
}
