using Messaging.CommandTypes;
using Messaging.Workers.Execution;

namespace Messaging.Workers.Tests.Execution;

public sealed class RetryScheduleTests
{
    private static readonly CommandRetryOptions Options = new()
    {
        MaxAttempts = 10,
        BaseDelay = TimeSpan.FromSeconds(2),
        MaxDelay = TimeSpan.FromSeconds(30),
    };

    [Theory]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(5, 16)]
    [InlineData(6, 30)]
    [InlineData(20, 30)]
    public void DelayBefore_DoublesPerAttemptUpToTheCap_JitteredDownByUpToHalf(int nextAttempt, int ceilingSeconds)
    {
        var shortest = RetrySchedule.DelayBefore(nextAttempt, Options, retryAfter: null, random: 0);
        var longest = RetrySchedule.DelayBefore(nextAttempt, Options, retryAfter: null, random: 0.999_999);

        Assert.Equal(TimeSpan.FromSeconds(ceilingSeconds / 2.0), shortest);
        Assert.InRange(longest, TimeSpan.FromSeconds(ceilingSeconds * 0.999), TimeSpan.FromSeconds(ceilingSeconds));
    }

    [Fact]
    public void DelayBefore_WithRetryAfter_IsWhatTheProviderAskedFor()
    {
        Assert.Equal(TimeSpan.FromSeconds(45), RetrySchedule.DelayBefore(2, Options, TimeSpan.FromSeconds(45), random: 0.3));
    }

    [Fact]
    public void DelayBefore_SpreadsCommandsThatFailedTogether()
    {
        var delays = Enumerable.Range(0, 10).Select(i => RetrySchedule.DelayBefore(3, Options, null, i / 10.0)).Distinct().ToList();

        Assert.Equal(10, delays.Count);
    }
}
