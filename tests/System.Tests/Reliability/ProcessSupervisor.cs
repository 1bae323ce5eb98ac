using Messaging.Testing.Harness;

namespace Messaging.System.Tests.Reliability;

/// <summary>
/// Restarts the hosts that crash during a scenario, as a process manager would (systemd, Kubernetes):
/// every 100 ms it looks at the watched processes and starts again the ones that exited, counting the
/// restarts, including a crash before a restarted process answered. After <see cref="MaxCrashes"/> crashes of one
/// process its crash point is switched off for the next start, so a scenario ends in bounded time. Disposing stops watching (it does not stop the processes).
/// </summary>
public sealed class ProcessSupervisor : IAsyncDisposable
{
    private readonly Dictionary<ServiceProcess, Func<Task>> _restarts;
    private readonly Dictionary<ServiceProcess, int> _crashes = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Watches each process with the function that starts it again and waits until it answers.</summary>
    public ProcessSupervisor(IReadOnlyDictionary<ServiceProcess, Func<Task>> restarts, int maxCrashes)
    {
        _restarts = new Dictionary<ServiceProcess, Func<Task>>(restarts);
        MaxCrashes = maxCrashes;
        _loop = Task.Run(WatchAsync);
    }

    /// <summary>Crashes of one process after which its crash point is switched off.</summary>
    public int MaxCrashes { get; }

    /// <summary>Restarts so far, all processes together.</summary>
    public int Restarts
    {
        get
        {
            lock (_crashes)
            {
                return _crashes.Values.Sum();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task WatchAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            foreach (var (process, restart) in _restarts)
            {
                if (process.IsRunning)
                {
                    continue;
                }

                int crashes;
                lock (_crashes)
                {
                    crashes = _crashes[process] = _crashes.GetValueOrDefault(process) + 1;
                }

                if (crashes >= MaxCrashes)
                {
                    process.SetEnvironment("FaultInjection__CrashAt", null);
                }

                try
                {
                    await restart();
                }
                catch (InvalidOperationException) when (!process.IsRunning)
                {
                    // It crashed again before it answered (the crash point can fire as soon as the relay or a
                    // consumer starts): a process manager just counts it and starts it again, and so does the next pass.
                }
            }

            await Task.Delay(100, _stop.Token);
        }
    }
}
