using Messaging.Resilience.RateLimiting;

namespace Messaging.Resilience.Tests.RateLimiting;

public sealed class ProviderThrottlingHandlerTests : IDisposable
{
    private readonly RateLimitingTestContext _context = new(instanceShare: 1.0);
    private readonly ProviderQuotasOptions _options = new();

    public ProviderThrottlingHandlerTests() =>
        _options.Providers["payments"] = new ProviderQuotaOptions { Global = RateLimitRule.Create(100, TimeSpan.FromSeconds(1)) };

    public void Dispose() => _context.Dispose();

    [Fact]
    public async Task A429WithRetryAfter_PausesTheProvidersQuota()
    {
        var quota = new ProviderQuota(_context.Limits, new StaticOptionsMonitor<ProviderQuotasOptions>(_options), _context.Time);
        using var handler = new ProviderThrottlingHandler(quota, "payments", _context.Time) { InnerHandler = new Answering(System.Net.HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(7)) };
        using var http = new HttpClient(handler);

        using var response = await http.GetAsync(new Uri("http://provider.test/v1/charges"), TestContext.Current.CancellationToken);
        var decision = await quota.TryAcquireAsync("payments", "t", TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.False(decision.IsAllowed);
        Assert.Equal(TimeSpan.FromSeconds(7), decision.RetryAfter);
    }

    [Fact]
    public async Task OtherAnswers_LeaveTheQuotaAlone()
    {
        var quota = new ProviderQuota(_context.Limits, new StaticOptionsMonitor<ProviderQuotasOptions>(_options), _context.Time);
        using var handler = new ProviderThrottlingHandler(quota, "payments", _context.Time) { InnerHandler = new Answering(System.Net.HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(7)) };
        using var http = new HttpClient(handler);

        using var response = await http.GetAsync(new Uri("http://provider.test/v1/charges"), TestContext.Current.CancellationToken);

        Assert.True((await quota.TryAcquireAsync("payments", "t", TestContext.Current.CancellationToken)).IsAllowed);
    }

    private sealed class Answering(System.Net.HttpStatusCode status, TimeSpan retryAfter) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = new HttpResponseMessage(status);
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(retryAfter);
            return Task.FromResult(response);
        }
    }
}
