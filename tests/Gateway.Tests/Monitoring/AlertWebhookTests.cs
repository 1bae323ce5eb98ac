using System.Text.Json;
using Messaging.Resilience.Breakers;

namespace Messaging.Gateway.Tests.Monitoring;

public sealed class AlertWebhookTests
{
    [Fact]
    public async Task FiredAndClearedAlerts_ArePostedToTheWebhook()
    {
        await using var harness = new AlertsHarness(o => o.BreakerOpenFor = TimeSpan.Zero, webhookUrl: "http://alerts.example.test/hook");
        await harness.Webhook.StartAsync(TestContext.Current.CancellationToken);

        harness.Evaluator.Evaluate(harness.Sample(breakers: [new("payments@h:1", BreakerState.Open, harness.Time.GetUtcNow())]));
        harness.Evaluator.Evaluate(harness.Sample(breakers: []));
        await WaitUntilAsync(() => harness.Posted.Count == 2);
        await harness.Webhook.StopAsync(TestContext.Current.CancellationToken);

        var bodies = harness.Posted.Select(b => JsonDocument.Parse(b).RootElement).ToList();
        Assert.Equal(["firing", "resolved"], bodies.Select(b => b.GetProperty("status").GetString()));
        Assert.All(bodies, b =>
        {
            Assert.Equal("BreakerOpen", b.GetProperty("rule").GetString());
            Assert.Equal("payments@h:1", b.GetProperty("subject").GetString());
        });
    }

    [Fact]
    public async Task ADeadWebhook_NeverBlocksAlerting_AndItsQueueStaysBounded()
    {
        var calls = 0;
        await using var harness = new AlertsHarness(o => o.BreakerOpenFor = TimeSpan.Zero, webhookUrl: "http://alerts.example.test/hook",
            webhook: async (_, cancellationToken) =>
            {
                Interlocked.Increment(ref calls);
                await Task.Delay(Timeout.Infinite, cancellationToken);
                throw new InvalidOperationException("unreachable");
            });
        await harness.Webhook.StartAsync(TestContext.Current.CancellationToken);

        // Fifty fire/clear cycles against a webhook that never answers: evaluation still returns at once.
        for (var i = 0; i < 50; i++)
        {
            Assert.Single(harness.Evaluator.Evaluate(harness.Sample(breakers: [new("payments@h:1", BreakerState.Open, harness.Time.GetUtcNow())])));
            Assert.Empty(harness.Evaluator.Evaluate(harness.Sample(breakers: [])));
        }

        await harness.Webhook.StopAsync(TestContext.Current.CancellationToken);
        Assert.Contains(harness.Logs.GetSnapshot(), r => r.Id.Name == "AlertWebhookQueueFull");
        Assert.True(calls <= 3, $"the webhook was called {calls} times");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.True(condition());
    }
}
