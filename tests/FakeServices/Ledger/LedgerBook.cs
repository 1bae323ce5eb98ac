using Messaging.FakeServices.Providers;

namespace Messaging.FakeServices.Ledger;

/// <summary>
/// The ledger of one provider backend, shared by all its instances: the idempotency store (key to
/// stored answer), the effects, the counters and a bounded request log. One lock guards it all, so
/// "check the key, produce the effect, store the answer" is atomic: concurrent requests with one key
/// produce one effect. The work under the lock is a few dictionary operations (no I/O, no awaits).
/// </summary>
internal sealed class LedgerBook(ProviderKind provider, int maxLogEntries)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, KeyRecord> _keys = new(StringComparer.Ordinal);
    private readonly Queue<RequestLogEntry> _log = new();
    private readonly Dictionary<string, long> _requestsByInstance = new(StringComparer.OrdinalIgnoreCase);
    private long _sequence;
    private long _requests;
    private long _tokenRequests;
    private long _effectsProduced;
    private long _replays;
    private long _mismatchedReplays;

    public ProviderKind Provider { get; } = provider;

    /// <summary>Counts a request carrying <paramref name="key"/> as it arrives, before faults or validation.</summary>
    public void NoteKey(string key)
    {
        lock (_gate)
        {
            GetOrAdd(key).RequestCount++;
        }
    }

    /// <summary>
    /// Returns the stored answer for <paramref name="key"/>, or runs <paramref name="execute"/> and stores
    /// its answer. <paramref name="execute"/> runs under the ledger's lock: keep it short and synchronous.
    /// </summary>
    /// <remarks>The fingerprint is a canonical form of the request body, to count replays with another body.</remarks>
    public IdempotentResult Execute(string key, string instance, string fingerprint, DateTimeOffset now, Func<ProviderOutcome> execute)
    {
        lock (_gate)
        {
            var record = GetOrAdd(key);
            if (record.Outcome is { } stored)
            {
                _replays++;
                if (!string.Equals(record.Fingerprint, fingerprint, StringComparison.Ordinal))
                {
                    record.MismatchedRequests++;
                    _mismatchedReplays++;
                }

                return new IdempotentResult(stored, Replayed: true);
            }

            var outcome = execute();
            if (outcome.Kind == OutcomeKind.Effect)
            {
                record.EffectCount++;
                _effectsProduced++;
            }

            record.Outcome = outcome;
            record.Fingerprint = fingerprint;
            record.Instance = instance;
            record.FirstAt = now;
            return new IdempotentResult(outcome, Replayed: false);
        }
    }

    public void Record(string instance, string method, string path, string? key, int status, string? fault, bool faultAfterEffect,
        bool replayed, bool tokenRequest, int latencyMs, DateTimeOffset receivedAt, DateTimeOffset completedAt)
    {
        lock (_gate)
        {
            if (tokenRequest)
            {
                _tokenRequests++;
            }
            else
            {
                _requests++;
            }

            _requestsByInstance[instance] = _requestsByInstance.GetValueOrDefault(instance) + 1;
            if (maxLogEntries == 0)
            {
                return;
            }

            _log.Enqueue(new RequestLogEntry(++_sequence, Provider.ToWireName(), instance, method, path, key, status, fault, faultAfterEffect,
                replayed, latencyMs, receivedAt, completedAt));
            while (_log.Count > maxLogEntries)
            {
                _log.Dequeue();
            }
        }
    }

    public LedgerSnapshot Snapshot()
    {
        lock (_gate)
        {
            var effects = new List<EffectEntry>();
            var duplicates = 0;
            var refusals = 0;
            foreach (var (key, record) in _keys)
            {
                if (record.Outcome is not { } outcome)
                {
                    continue;
                }

                if (outcome.Kind == OutcomeKind.Refusal)
                {
                    refusals++;
                    continue;
                }

                if (record.EffectCount > 1)
                {
                    duplicates++;
                }

                effects.Add(new EffectEntry(key, outcome.EffectId ?? string.Empty, record.Instance!, record.FirstAt, record.RequestCount,
                    outcome.Status, record.MismatchedRequests));
            }

            effects.Sort(static (a, b) => a.FirstAt != b.FirstAt ? a.FirstAt.CompareTo(b.FirstAt) : string.CompareOrdinal(a.IdempotencyKey, b.IdempotencyKey));
            return new LedgerSnapshot(Provider.ToWireName(), _requests, _tokenRequests, effects.Count, duplicates, _effectsProduced, refusals,
                _replays, _mismatchedReplays, new Dictionary<string, long>(_requestsByInstance, StringComparer.OrdinalIgnoreCase), effects);
        }
    }

    /// <summary>Log entries matching <paramref name="query"/>, oldest first, at most <c>Limit</c>.</summary>
    public (IReadOnlyList<RequestLogEntry> Entries, bool Truncated) Requests(RequestLogQuery query)
    {
        lock (_gate)
        {
            var entries = new List<RequestLogEntry>();
            foreach (var entry in _log)
            {
                if ((query.After is { } after && entry.Sequence <= after)
                    || (query.Since is { } since && entry.ReceivedAt < since)
                    || (query.Instance is { } instance && !string.Equals(entry.Instance, instance, StringComparison.OrdinalIgnoreCase))
                    || (query.Path is { } path && !string.Equals(entry.Path, path, StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }

                if (entries.Count == query.Limit)
                {
                    return (entries, true);
                }

                entries.Add(entry);
            }

            return (entries, false);
        }
    }

    /// <summary>Forgets everything: keys (so a key can take effect again), effects, counters and the log.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _keys.Clear();
            _log.Clear();
            _requestsByInstance.Clear();
            _requests = _tokenRequests = _effectsProduced = _replays = _mismatchedReplays = 0;
        }
    }

    private KeyRecord GetOrAdd(string key)
    {
        if (!_keys.TryGetValue(key, out var record))
        {
            record = new KeyRecord();
            _keys[key] = record;
        }

        return record;
    }

    private sealed class KeyRecord
    {
        public int RequestCount;
        public int EffectCount;
        public int MismatchedRequests;
        public ProviderOutcome? Outcome;
        public string? Fingerprint;
        public string? Instance;
        public DateTimeOffset FirstAt;
    }
}
