using Messaging.Resilience.Outbox;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Gateway.Tests.Commands;

public sealed class OutboxSignalTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task WaitAsync_AfterNotify_CompletesAtOnce()
    {
        var signal = new OutboxSignal();
        signal.Notify();

        var wait = signal.WaitAsync(TimeSpan.FromMinutes(1), _time, TestContext.Current.CancellationToken);

        Assert.True(wait.IsCompletedSuccessfully);
        await wait;
    }

    [Fact]
    public async Task Notify_ManyTimes_WakesOneWaitOnly()
    {
        var signal = new OutboxSignal();
        signal.Notify();
        signal.Notify();
        signal.Notify();

        await signal.WaitAsync(TimeSpan.FromMinutes(1), _time, TestContext.Current.CancellationToken);
        var second = signal.WaitAsync(TimeSpan.FromMinutes(1), _time, TestContext.Current.CancellationToken);

        Assert.False(second.IsCompleted);
        _time.Advance(TimeSpan.FromMinutes(1));
        await second.AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task WaitAsync_WhenNotifiedWhileWaiting_Completes()
    {
        var signal = new OutboxSignal();
        var wait = signal.WaitAsync(TimeSpan.FromHours(1), _time, TestContext.Current.CancellationToken);
        Assert.False(wait.IsCompleted);

        signal.Notify();

        await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task WaitAsync_AfterTimeout_DoesNotSwallowALaterSignal()
    {
        var signal = new OutboxSignal();
        var timedOut = signal.WaitAsync(TimeSpan.FromSeconds(5), _time, TestContext.Current.CancellationToken);
        Assert.False(timedOut.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(5));
        await timedOut.AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        signal.Notify();

        Assert.True(signal.WaitAsync(TimeSpan.FromHours(1), _time, TestContext.Current.CancellationToken).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitAsync_WhenCancelled_Throws()
    {
        var signal = new OutboxSignal();
        using var cancellation = new CancellationTokenSource();
        var wait = signal.WaitAsync(TimeSpan.FromHours(1), _time, cancellation.Token);

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await wait);
    }
}
