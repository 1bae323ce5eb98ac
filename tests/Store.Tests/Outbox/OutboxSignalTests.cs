using Messaging.Store.Outbox;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Store.Tests.Outbox;

public sealed class OutboxSignalTests
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 8, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task ManyNotificationsBeforeAWait_WakeTheRelayOnce()
    {
        var signal = new OutboxSignal();
        for (var i = 0; i < 1_000; i++)
        {
            signal.Notify();
        }

        Assert.True(await signal.WaitAsync(Poll, _time, TestContext.Current.CancellationToken));

        // Coalesced: the next wait is the polling fallback, not a second wake-up.
        var next = signal.WaitAsync(Poll, _time, TestContext.Current.CancellationToken).AsTask();
        Assert.False(next.IsCompleted);
        _time.Advance(Poll);
        Assert.False(await next);
    }

    [Fact]
    public async Task ANotificationAfterAWakeUp_WakesTheRelayAgain()
    {
        var signal = new OutboxSignal();
        signal.Notify();
        Assert.True(await signal.WaitAsync(Poll, _time, TestContext.Current.CancellationToken));

        signal.Notify();
        Assert.True(await signal.WaitAsync(Poll, _time, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ANotificationWhileTheRelayWaits_WakesIt()
    {
        var signal = new OutboxSignal();
        var waiting = signal.WaitAsync(Poll, _time, TestContext.Current.CancellationToken).AsTask();
        Assert.False(waiting.IsCompleted);

        signal.Notify();
        Assert.True(await waiting);
    }
}
