using System.Net.Http.Json;
using System.Text.Json;

namespace Messaging.Testing.Harness;

/// <summary>A client for FakeServices' control API (faults and the idempotency ledger).</summary>
public sealed class FakeServicesControl(HttpClient http, Uri baseAddress)
{
    /// <summary>The provider's idempotency ledger as FakeServices returns it.</summary>
    public async Task<JsonElement> LedgerAsync(string provider)
    {
        using var response = await http.GetAsync(new Uri(baseAddress, $"control/ledger?provider={provider}"));
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>How many distinct effects the provider produced for this idempotency key (0 or 1 unless broken).</summary>
    public async Task<int> EffectsForKeyAsync(string provider, string idempotencyKey)
    {
        var ledger = await LedgerAsync(provider);
        return ledger.GetProperty("effects").EnumerateArray()
            .Count(e => e.GetProperty("idempotencyKey").GetString() == idempotencyKey);
    }

    /// <summary>Sets the faults of one provider instance (<c>PUT control/instances/{instance}/faults</c>).</summary>
    public async Task SetFaultsAsync(string instance, object faults)
    {
        using var response = await http.PutAsJsonAsync(new Uri(baseAddress, $"control/instances/{instance}/faults"), faults);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Clears the faults of every instance.</summary>
    public async Task ClearFaultsAsync()
    {
        using var response = await http.DeleteAsync(new Uri(baseAddress, "control/faults"));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The provider requests received on <paramref name="path"/> since <paramref name="since"/>, oldest first.</summary>
    public async Task<IReadOnlyList<ProviderRequest>> RequestsAsync(string provider, string path, DateTimeOffset since)
    {
        var query = $"control/requests?provider={provider}&path={Uri.EscapeDataString(path)}&since={Uri.EscapeDataString(since.UtcDateTime.ToString("O"))}&limit=1000000";
        using var response = await http.GetAsync(new Uri(baseAddress, query));
        response.EnsureSuccessStatusCode();
        var log = await response.Content.ReadFromJsonAsync<JsonElement>();
        return [.. log.GetProperty("requests").EnumerateArray().Select(r => new ProviderRequest(
            r.GetProperty("instance").GetString()!,
            r.GetProperty("idempotencyKey").ValueKind == JsonValueKind.String ? r.GetProperty("idempotencyKey").GetString() : null,
            r.GetProperty("status").GetInt32(),
            r.GetProperty("receivedAt").GetDateTimeOffset()))];
    }

    /// <summary>Per idempotency key, the effects the provider produced and the requests that carried the key.</summary>
    public async Task<IReadOnlyDictionary<string, (int Effects, int Requests)>> EffectsAsync(string provider)
    {
        var ledger = await LedgerAsync(provider);
        return ledger.GetProperty("effects").EnumerateArray()
            .GroupBy(e => e.GetProperty("idempotencyKey").GetString()!)
            .ToDictionary(g => g.Key, g => (g.Count(), g.Max(e => e.GetProperty("requestCount").GetInt32())));
    }
}
