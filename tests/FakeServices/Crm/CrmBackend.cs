using Messaging.FakeServices.Instances;
using Microsoft.Extensions.Options;

namespace Messaging.FakeServices.Crm;

/// <summary>
/// The CRM provider's state, shared by its instances: the version of each contact and the requests it
/// received (bounded by <c>FakeServices:Crm:MaxRecordedRequests</c>, oldest dropped first). The idempotency
/// keys, effects and counters are in the ledger, as for every provider.
/// </summary>
internal sealed class CrmBackend(IOptions<FakeServicesOptions> options)
{
    private readonly int _maxRecorded = options.Value.Crm.MaxRecordedRequests;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _versions = new(StringComparer.Ordinal);
    private readonly Queue<CrmRecordedRequest> _recorded = new();
    private long _sequence;

    /// <summary>Creates or replaces a contact: its new version (1 for a new or deleted contact).</summary>
    public int Upsert(string contactId)
    {
        lock (_gate)
        {
            var version = _versions.GetValueOrDefault(contactId) + 1;
            _versions[contactId] = version;
            return version;
        }
    }

    /// <summary>Deletes a contact (nothing happens when it does not exist).</summary>
    public void Delete(string contactId)
    {
        lock (_gate)
        {
            _versions.Remove(contactId);
        }
    }

    /// <summary>The next recording sequence number (increasing, never reused, not reset).</summary>
    public long NextSequence() => Interlocked.Increment(ref _sequence);

    public void Record(CrmRecordedRequest request)
    {
        lock (_gate)
        {
            if (_maxRecorded == 0)
            {
                return;
            }

            _recorded.Enqueue(request);
            while (_recorded.Count > _maxRecorded)
            {
                _recorded.Dequeue();
            }
        }
    }

    /// <summary>The recorded requests that match every filter given (exact match; method case-insensitive), oldest first.</summary>
    public IReadOnlyList<CrmRecordedRequest> Recorded(string? idempotencyKey, string? contactId, string? method)
    {
        lock (_gate)
        {
            return [.. _recorded
                .Where(r => (idempotencyKey is null || string.Equals(r.Headers.IdempotencyKey, idempotencyKey, StringComparison.Ordinal))
                    && (contactId is null || string.Equals(r.ContactId, contactId, StringComparison.Ordinal))
                    && (method is null || string.Equals(r.Method, method, StringComparison.OrdinalIgnoreCase)))
                .OrderBy(r => r.Sequence)];
        }
    }

    /// <summary>Forgets the contacts and the recorded requests.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _versions.Clear();
            _recorded.Clear();
        }
    }
}
