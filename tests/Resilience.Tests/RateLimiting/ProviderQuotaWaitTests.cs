using Messaging.Resilience.RateLimiting;

namespace Messaging.Resilience.Tests.RateLimiting;

public sealed class ProviderQuotaWaitTests : IDisposable
{
    private readonly RateLimitingTestContext _context = new(instanceShare: 1.0);
    private readonly ProviderQuotasOptions _options = new();

    public ProviderQuotaWaitTests()
    {
        _options.Providers["payments"] = new ProviderQuotaOptions
        {
            Global = RateLimitRule.Create(1, TimeSpan.FromSeconds(1)),
            MaxWait = TimeSpan.FromSeconds(2),
        };
    }

    public void Dispose() => _context.Dispose();

    private ProviderQuota Quota => new(_context.Limits, new StaticOptionsMonitor<ProviderQuotasOptions>(_options), _context.Time);

    [Fact]
    public async Task Acquire_WhenTheWaitIsShort_WaitsInlineAndGoes()
    {
        var quota = Quota;
        Assert.True((await quota.TryAcquireAsync("payments", "t", TestContext.Current.CancellationToken)).IsAllowed);

        var waiting = quota.AcquireAsync("payments", "t", cancellationToken: TestContext.Current.CancellationToken).AsTask();
        Assert.False(waiting.IsCompleted);
        _context.Time.Advance(TimeSpan.FromSeconds(1));
        var decision = await waiting;

        Assert.True(decision.IsAllowed);
    }

    [Fact]
    public async Task Acquire_WhenTheWaitIsLongerThanMaxWait_AnswersDeferAtOnce()
    {
        var quota = Quota;
        await quota.ReportThrottledAsync("payments", TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var decision = await quota.AcquireAsync("payments", "t", cancellationToken: TestContext.Current.CancellationToken);

        Assert.False(decision.IsAllowed);
        Assert.Equal(TimeSpan.FromSeconds(30), decision.RetryAfter);
    }
}
