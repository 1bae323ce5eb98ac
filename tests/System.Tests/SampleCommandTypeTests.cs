using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests;

/// <summary>
/// The sample type of samples/ShippingLabels, added to both hosts by its registration alone, end to end:
/// real Gateway, Workers and FakeServices processes (its shipping provider) on real services.
/// </summary>
public sealed class SampleCommandTypeTests(SystemFixture system)
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task ShippingLabel_IsAccepted_ThenSucceedsWithTheLabel_AndOneEffect()
    {
        var token = await system.TokenAsync("tenant-ship");
        using var request = system.Request(HttpMethod.Post, "api/commands/shipping.labels.create", token,
            Json("""{"carrier":"dhl","recipient":"Jane Doe","postalCode":"10115","country":"DE","weightGrams":1200}"""));
        using var response = await system.Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        var id = accepted.GetProperty("id").GetString()!;
        Assert.Equal("shipping.labels.create", accepted.GetProperty("type").GetString());

        var status = await system.WaitForStatusAsync(token, id, "Succeeded");
        var result = status.GetProperty("result");
        Assert.StartsWith("lbl_", result.GetProperty("labelId").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(result.GetProperty("trackingNumber").GetString()));
        Assert.Equal("dhl", result.GetProperty("carrier").GetString());
        Assert.Equal(1, await system.Providers.EffectsForKeyAsync("shipping", id));
    }

    [Fact]
    public async Task ShippingLabel_TheProviderRefuses_EndsFailedWithItsCode_WithoutRetries()
    {
        var token = await system.TokenAsync("tenant-ship");
        using var request = system.Request(HttpMethod.Post, "api/commands/shipping.labels.create", token,
            Json("""{"carrier":"ups","recipient":"Jane Doe","postalCode":"00000","country":"DE","weightGrams":500}"""));
        using var response = await system.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetString()!;

        var status = await system.WaitForStatusAsync(token, id, "Failed");

        Assert.Equal("shipping.labels.create", status.GetProperty("type").GetString());
        Assert.Equal(1, status.GetProperty("attempts").GetInt32());
        Assert.Equal("undeliverable", status.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task ShippingLabel_InvalidBody_Is400WithOneErrorPerField_AndNothingIsStored()
    {
        var token = await system.TokenAsync("tenant-ship-invalid");
        using var request = system.Request(HttpMethod.Post, "api/commands/shipping.labels.create", token,
            Json("""{"carrier":"pigeon","recipient":"","postalCode":"10115","country":"de","weightGrams":0}"""));
        using var response = await system.Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        var errors = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["carrier", "country", "recipient", "weightGrams"], errors);

        using var list = system.Request(HttpMethod.Get, "api/commands?type=shipping.labels.create", token);
        using var page = await system.Http.SendAsync(list, TestContext.Current.CancellationToken);
        var items = (await page.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("items");
        Assert.Equal(0, items.GetArrayLength());
    }
}
