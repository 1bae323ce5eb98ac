using System.Net;
using Messaging.ServiceDefaults.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.ServiceDefaults.Tests;

/// <summary>On the public port, a flood of /health/ready is at most one round of dependency checks a second.</summary>
public sealed class ReadinessCacheTests
{
    [Fact]
    public async Task Ready_ManyTimesWithinASecond_RunsTheChecksOnce_AndAgainOnceASecondHasPassed()
    {
        var time = new FakeTimeProvider();
        var check = new CountingCheck();
        await using var app = await StartAsync(time, check);

        for (var i = 0; i < 50; i++)
        {
            var response = await app.Client.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        time.Advance(TimeSpan.FromMilliseconds(999));
        await app.Client.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(1, check.Runs);

        time.Advance(TimeSpan.FromMilliseconds(1));
        await app.Client.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(2, check.Runs);
    }

    [Fact]
    public async Task Ready_ConcurrentRequests_ShareOneRound()
    {
        var check = new CountingCheck();
        await using var app = await StartAsync(new FakeTimeProvider(), check);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            app.Client.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, check.Runs);
    }

    [Fact]
    public async Task Ready_WhenTheDependencyFails_Answers503FromTheSameRound()
    {
        var time = new FakeTimeProvider();
        var check = new CountingCheck { Status = HealthStatus.Unhealthy };
        await using var app = await StartAsync(time, check);

        var first = await app.Client.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken);
        var second = await app.Client.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Equal(1, check.Runs);
    }

    private static Task<TestApplication> StartAsync(FakeTimeProvider time, CountingCheck check) =>
        TestApplication.StartAsync(configureBuilder: builder =>
        {
            builder.Services.AddSingleton<TimeProvider>(time);
            builder.Services.AddHealthChecks().AddCheck("counting", check, tags: [HealthCheckTags.Ready]);
        });

    private sealed class CountingCheck : IHealthCheck
    {
        private int _runs;

        public HealthStatus Status { get; init; } = HealthStatus.Healthy;

        public int Runs => Volatile.Read(ref _runs);

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _runs);
            return Task.FromResult(new HealthCheckResult(Status));
        }
    }
}
