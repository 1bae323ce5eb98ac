using System.Net.Http.Json;
using System.Text.Json;

namespace Messaging.System.Tests.Harness;

/// <summary>A client for FakeServices' control API (faults and the idempotency ledger).</summary>
public sealed class FakeServicesControl(HttpClient http, Uri baseAddress)
{
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

    public async Task SetFaultsAsync(string instance, object faults)
    {
        using var response = await http.PutAsJsonAsync(new Uri(baseAddress, $"control/instances/{instance}/faults"), faults);
        response.EnsureSuccessStatusCode();
    }

    public async Task ClearFaultsAsync()
    {
        using var response = await http.DeleteAsync(new Uri(baseAddress, "control/faults"));
        response.EnsureSuccessStatusCode();
    }
}
