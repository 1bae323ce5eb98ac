using System.Net;
using System.Text;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Tests.RateLimiting;

public sealed class TenantRateLimitTests(TenantRateLimitFixture gateway) : IClassFixture<TenantRateLimitFixture>
{
    private const string Charge = """{"amount":10.50,"currency":"EUR","customerId":"cus_123"}""";

    private static async Task<List<HttpResponseMessage>> SubmitAsync(HttpClient http, int count)
    {
        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < count; i++)
        {
            using var content = new StringContent(Charge, Encoding.UTF8, "application/json");
            responses.Add(await http.PostAsync("/api/commands/payments.charge", content, TestContext.Current.CancellationToken));
        }

        return responses;
    }

    [Fact]
    public async Task TenantOnATier_GetsTheTiersLimit_AndNothingIsStoredForTheRefusals()
    {
        using var http = gateway.ClientFor(gateway.Factory, "tenant-bronze");

        var responses = await SubmitAsync(http, 6);

        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.Accepted));
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(3, refused.Count);
        Assert.All(refused, r =>
        {
            Assert.Equal("\"tenant\";q=3;w=3600", Assert.Single(r.Headers.GetValues("RateLimit-Policy")));
            Assert.NotNull(r.Headers.RetryAfter?.Delta);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        });
        Assert.Equal(3, await gateway.CountCommandsAsync("tenant-bronze"));
        responses.ForEach(r => r.Dispose());
    }

    private static async Task<HttpResponseMessage> SubmitBatchAsync(HttpClient http, int items)
    {
        var batch = "{\"items\":[" + string.Join(",", Enumerable.Repeat($$"""{"type":"payments.charge","body":{{Charge}}}""", items)) + "]}";
        using var content = new StringContent(batch, Encoding.UTF8, "application/json");
        return await http.PostAsync("/api/commands/batch", content, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Batch_CountsEachItemAgainstTheTenantsLimit_AndARefusedBatchStoresNothing()
    {
        // Bronze: 3 per hour. Two items take two permits; the next two-item batch finds one left and is refused whole.
        using var http = gateway.ClientFor(gateway.Factory, "tenant-bronze-batch");

        using var first = await SubmitBatchAsync(http, 2);
        using var second = await SubmitBatchAsync(http, 2);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("\"tenant\";q=3;w=3600", Assert.Single(second.Headers.GetValues("RateLimit-Policy")));
        Assert.NotNull(second.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
        Assert.Equal(2, await gateway.CountCommandsAsync("tenant-bronze-batch"));
    }

    [Fact]
    public async Task Batch_LargerThanTheTenantsBurst_Is400_AndStoresNothing()
    {
        using var http = gateway.ClientFor(gateway.Factory, "tenant-bronze-batch-big");

        using var response = await SubmitBatchAsync(http, 4);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("at most 3 commands at once", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(0, await gateway.CountCommandsAsync("tenant-bronze-batch-big"));
    }

    [Fact]
    public async Task OtherTenants_KeepTheirOwnLimit()
    {
        using var bronze = gateway.ClientFor(gateway.Factory, "tenant-bronze-2");
        using var other = gateway.ClientFor(gateway.Factory, "tenant-default");

        var responses = await SubmitAsync(other, 5);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        responses.ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task WithoutAToken_TheTenantLimitDoesNotApply_AndAuthenticationAnswers()
    {
        using var http = gateway.CreateClient();
        using var content = new StringContent(Charge, Encoding.UTF8, "application/json");

        using var response = await http.PostAsync("/api/commands/payments.charge", content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public void AnAssignmentToAMissingTier_FailsAtStart_NamingTheKey()
    {
        var configuration = gateway.HostConfiguration();
        configuration["RateLimiting:Tenants:Assignments:tenant-x"] = "platinum";
        using var factory = GatewayHost.CreateFactory(configuration);

        var error = Assert.ThrowsAny<Exception>(() => factory.Server);

        var validation = error as OptionsValidationException ?? error.InnerException as OptionsValidationException;
        Assert.NotNull(validation);
        Assert.Contains("RateLimiting:Tenants:Assignments:tenant-x", validation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RateLimiting:PerIp:PermitLimit", "0", "RateLimiting:PerIp")]
    [InlineData("RateLimiting:FailedSecrets:Window", "00:00:00", "RateLimiting:FailedSecrets")]
    [InlineData("ForwardedHeaders:KnownProxies:0", "not-an-address", "ForwardedHeaders:KnownProxies:0")]
    public void AnInvalidSetting_FailsAtStart_NamingTheKey(string key, string value, string named)
    {
        var configuration = gateway.HostConfiguration();
        configuration[key] = value;
        using var factory = GatewayHost.CreateFactory(configuration);

        var error = Assert.ThrowsAny<Exception>(() => factory.Server);

        var validation = error as OptionsValidationException ?? error.InnerException as OptionsValidationException;
        Assert.NotNull(validation);
        Assert.Contains(named, validation.Message, StringComparison.Ordinal);
    }
}
