using MassTransit;
using Messaging.Resilience.Breakers;

namespace Messaging.Workers.Flow;

/// <summary>
/// Starts and stops a MassTransit receive endpoint for its <see cref="BreakerAwareEndpoint"/> (like
/// MassTransit's kill switch): connected as the endpoint's observer, it takes the endpoint when it is
/// ready. Requests are applied one at a time towards the latest wanted state, so a start never races a
/// stop still waiting for messages in flight. Stopping cancels the broker consumer: messages stay ready
/// in the queue.
/// </summary>
internal sealed partial class ReceiveEndpointSwitch(BreakerAwareEndpoint flow, ILogger logger) : IEndpointSwitch, IReceiveEndpointObserver
{
    private readonly SemaphoreSlim _applying = new(1, 1);
    private IReceiveEndpoint? _endpoint;
    private volatile bool _wantRunning = true;
    private bool _running = true;

    public Task StopAsync()
    {
        _wantRunning = false;
        return ApplyAsync();
    }

    public Task StartAsync()
    {
        _wantRunning = true;
        return ApplyAsync();
    }

    public Task Ready(ReceiveEndpointReady ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        var first = _endpoint is null;
        _endpoint = ready.ReceiveEndpoint;
        if (first)
        {
            flow.Attach(this);
        }
        else if (!_wantRunning)
        {
            // The transport came back by itself (a reconnect) while the endpoint should be paused.
            _running = true;
            _ = ApplyAsync();
        }

        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;

    private async Task ApplyAsync()
    {
        if (_endpoint is not { } endpoint)
        {
            return;
        }

        await _applying.WaitAsync().ConfigureAwait(false);
        try
        {
            while (_running != _wantRunning)
            {
                if (_wantRunning)
                {
                    // Not waiting for Ready: while the broker is away that can take long, and a stop may follow.
                    endpoint.Start();
                    _running = true;
                    Log.Started(logger, flow.Name);
                }
                else
                {
                    // Completes once the messages in flight are done (they were let through the gate).
                    await endpoint.Stop().ConfigureAwait(false);
                    _running = false;
                    Log.Stopped(logger, flow.Name);
                }
            }
        }
        finally
        {
            _applying.Release();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4021, EventName = "ReceiveEndpointStopped", Level = LogLevel.Information,
            Message = "Receive endpoint {Endpoint} stopped taking messages; they stay ready in the queue")]
        public static partial void Stopped(ILogger logger, string endpoint);

        [LoggerMessage(EventId = 4022, EventName = "ReceiveEndpointStarted", Level = LogLevel.Information,
            Message = "Receive endpoint {Endpoint} taking messages again")]
        public static partial void Started(ILogger logger, string endpoint);
    }
}
