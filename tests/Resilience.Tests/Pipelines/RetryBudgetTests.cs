using Messaging.Resilience.Pipelines;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Resilience.Tests.Pipelines;

public sealed class RetryBudgetTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Budget_AllowsRetriesAsAShareOfCalls()
    {
        var budget = new RetryBudget(new RetryBudgetOptions { RetryRatio = 0.1, MinRetriesPerSecond = 0, Window = TimeSpan.FromSeconds(10) }, _time);
        for (var i = 0; i < 100; i++)
        {
            budget.RecordCall();
        }

        var granted = Enumerable.Range(0, 50).Count(_ => budget.TryWithdrawRetry());

        Assert.Equal(10, granted);
    }

    [Fact]
    public void Budget_HasAFloor_ForQuietDependencies()
    {
        var budget = new RetryBudget(new RetryBudgetOptions { RetryRatio = 0.1, MinRetriesPerSecond = 2, Window = TimeSpan.FromSeconds(5) }, _time);

        var granted = Enumerable.Range(0, 50).Count(_ => budget.TryWithdrawRetry());

        Assert.Equal(10, granted);
    }

    [Fact]
    public void Budget_RefillsAsTheWindowSlides()
    {
        var budget = new RetryBudget(new RetryBudgetOptions { RetryRatio = 0, MinRetriesPerSecond = 1, Window = TimeSpan.FromSeconds(10) }, _time);
        Assert.Equal(10, Enumerable.Range(0, 20).Count(_ => budget.TryWithdrawRetry()));
        Assert.False(budget.TryWithdrawRetry());

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(budget.TryWithdrawRetry());

        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.True(budget.TryWithdrawRetry());
    }
}
