using Microsoft.Extensions.Logging;

namespace Messaging.Resilience.Breakers;

/// <summary>
/// A consumer endpoint that follows the breakers of the dependencies its handler calls. While one is
/// open (or isolated) the endpoint takes no new messages, so an outage costs nothing but time; when the
/// break ends it admits exactly one message, whose call is the breaker's half-open probe; if that
/// closes the breaker it ramps its concurrency back up (1, 2, 4 … up to the limit), and if not it pauses
/// again. The gate (<see cref="EnterAsync"/>) is used by the consume filter around every message.
/// </summary>
public sealed partial class BreakerAwareEndpoint : IDisposable
{
    private readonly Lock _lock = new();
    private readonly BreakerRegistry _registry;
    private readonly HashSet<string> _dependencies;
    private readonly BreakerAwareEndpointOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ConcurrencyGate _gate;
    private readonly Dictionary<string, BreakerState> _states = new(StringComparer.Ordinal);
    private ITimer? _timer;
    private IEndpointSwitch? _switch;
    private bool _transportStopped;
    private TaskCompletionSource? _resumed;

    /// <summary>Creates the endpoint controller and starts following the breakers.</summary>
    public BreakerAwareEndpoint(
        string name,
        IEnumerable<string> dependencies,
        BreakerRegistry registry,
        BreakerAwareEndpointOptions options,
        TimeProvider timeProvider,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        Name = name;
        _registry = registry;
        _dependencies = new HashSet<string>(dependencies, StringComparer.Ordinal);
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _gate = new ConcurrencyGate(options.ConcurrencyLimit);
        Since = timeProvider.GetUtcNow();
        foreach (var snapshot in registry.Snapshot())
        {
            if (_dependencies.Contains(DependencyOf(snapshot.Name)))
            {
                _states[snapshot.Name] = snapshot.State;
            }
        }

        registry.StateChanged += OnBreakerStateChanged;
    }

    /// <summary>The endpoint (queue) name.</summary>
    public string Name { get; }

    /// <summary>The dependencies whose breakers this endpoint follows.</summary>
    public IReadOnlyCollection<string> Dependencies => _dependencies;

    /// <summary>The current state.</summary>
    public EndpointFlowState State { get; private set; } = EndpointFlowState.Running;

    /// <summary>When the endpoint entered its current state.</summary>
    public DateTimeOffset Since { get; private set; }

    /// <summary>Messages admitted at once right now (0 while paused).</summary>
    public int CurrentLimit => State == EndpointFlowState.Paused ? 0 : _gate.Limit;

    /// <summary>The open dependency that paused the endpoint, if any.</summary>
    public string? PausedBy { get; private set; }

    /// <summary>
    /// While paused, when the probe is due (the break of the breaker that paused it ends); null when no
    /// probe is scheduled (running, or held by an operator's isolation). Deferred messages come back then.
    /// </summary>
    public DateTimeOffset? ProbeAt { get; private set; }

    /// <summary>Raised after every state change.</summary>
    public event Action<BreakerAwareEndpoint>? StateChanged;

    /// <summary>Connects the transport's start/stop (called when the receive endpoint is ready).</summary>
    public void Attach(IEndpointSwitch endpointSwitch)
    {
        bool stop;
        lock (_lock)
        {
            _switch = endpointSwitch;
            stop = State == EndpointFlowState.Paused && !_transportStopped;
            _transportStopped |= stop;
        }

        if (stop)
        {
            _ = SwitchAsync(stop: true);
        }
    }

    /// <summary>Waits for a slot to execute one message; dispose the handle when done.</summary>
    public ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken) => _gate.EnterAsync(cancellationToken);

    /// <summary>
    /// Completes when the endpoint is not paused (at once when it is not): a message held back because a
    /// dependency was unreachable waits here for the probe instead of going back to the queue.
    /// </summary>
    public Task WaitWhilePausedAsync(CancellationToken cancellationToken)
    {
        Task resumed;
        lock (_lock)
        {
            if (State != EndpointFlowState.Paused)
            {
                return Task.CompletedTask;
            }

            _resumed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            resumed = _resumed.Task;
        }

        return resumed.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _registry.StateChanged -= OnBreakerStateChanged;
        _timer?.Dispose();
    }

    /// <summary>
    /// The dependency a breaker belongs to: its own name, or for per-endpoint breakers
    /// (<c>payments@127.0.0.1:5091</c>) the part before the <c>@</c>.
    /// </summary>
    public static string DependencyOf(string breaker)
    {
        ArgumentNullException.ThrowIfNull(breaker);
        var at = breaker.IndexOf('@', StringComparison.Ordinal);
        return at < 0 ? breaker : breaker[..at];
    }

    private void OnBreakerStateChanged(BreakerStateChanged change)
    {
        var dependency = DependencyOf(change.Name);
        if (!_dependencies.Contains(dependency))
        {
            return;
        }

        lock (_lock)
        {
            _states[change.Name] = change.To;
            switch (change.To)
            {
                // With failover, a provider is down only when every one of its endpoints is.
                case BreakerState.Open or BreakerState.Isolated when IsBlocked(dependency):
                    Pause(dependency, change.To == BreakerState.Isolated ? null : change.BreakDuration ?? _options.DefaultProbeDelay);
                    break;
                case BreakerState.Closed or BreakerState.HalfOpen when State is EndpointFlowState.Paused && !AnyBlocking():
                    BeginRamp();
                    break;
                case BreakerState.Closed when State is EndpointFlowState.Probing && !AnyBlocking():
                    BeginRamp();
                    break;
                default:
                    break;
            }
        }
    }

    // Under _lock: every known breaker of the dependency is open or isolated.
    private bool IsBlocked(string dependency)
    {
        var any = false;
        foreach (var state in StatesOf(dependency))
        {
            any = true;
            if (state is not (BreakerState.Open or BreakerState.Isolated))
            {
                return false;
            }
        }

        return any;
    }

    // Under _lock: the states of the dependency's breakers, including those the registry knows that never
    // changed state (a failover endpoint that is healthy, or not called yet), which are closed.
    private IEnumerable<BreakerState> StatesOf(string dependency)
    {
        foreach (var snapshot in _registry.Snapshot())
        {
            if (DependencyOf(snapshot.Name) == dependency)
            {
                yield return _states.TryGetValue(snapshot.Name, out var seen) ? seen : snapshot.State;
            }
        }
    }

    // Under _lock.
    private void Pause(string dependency, TimeSpan? probeAfter)
    {
        var wasPaused = State == EndpointFlowState.Paused;
        PausedBy = dependency;
        Enter(EndpointFlowState.Paused);
        _timer?.Dispose();
        _timer = probeAfter is { } delay ? _timeProvider.CreateTimer(_ => Probe(), null, delay, Timeout.InfiniteTimeSpan) : null;
        ProbeAt = probeAfter is { } due ? _timeProvider.GetUtcNow() + due : null;
        if (!wasPaused)
        {
            Log.EndpointPaused(_logger, Name, dependency);
            _gate.SetLimit(1);
            // Messages already waiting for a slot meet the open breaker and go back without a provider call.
            _gate.ReleaseAllWaiters();
            StopTransport();
        }
    }

    private void Probe()
    {
        lock (_lock)
        {
            // An operator's isolation holds until reset: no probe for a dependency whose breakers are all isolated.
            if (State != EndpointFlowState.Paused || _dependencies.Any(AllIsolated))
            {
                return;
            }

            PausedBy = null;
            _gate.SetLimit(1);
            Enter(EndpointFlowState.Probing);
            Log.EndpointProbing(_logger, Name);
            StartTransport();
        }
    }

    // Under _lock.
    private void BeginRamp()
    {
        PausedBy = null;
        _gate.SetLimit(1);
        Enter(EndpointFlowState.Ramping);
        StartTransport();
        ScheduleRampStep();
    }

    private void RampStep()
    {
        lock (_lock)
        {
            if (State != EndpointFlowState.Ramping)
            {
                return;
            }

            var next = Math.Min(_gate.Limit * 2, _options.ConcurrencyLimit);
            _gate.SetLimit(next);
            if (next >= _options.ConcurrencyLimit)
            {
                Enter(EndpointFlowState.Running);
                Log.EndpointResumed(_logger, Name, next);
                return;
            }

            ScheduleRampStep();
        }
    }

    // Under _lock.
    private void ScheduleRampStep()
    {
        _timer?.Dispose();
        _timer = _timeProvider.CreateTimer(_ => RampStep(), null, _options.RampStepInterval, Timeout.InfiniteTimeSpan);
    }

    private bool AnyBlocking() => _dependencies.Any(IsBlocked);

    // Under _lock.
    private bool AllIsolated(string dependency)
    {
        var states = StatesOf(dependency).ToList();
        return states.Count > 0 && states.All(s => s == BreakerState.Isolated);
    }

    // Under _lock.
    private void Enter(EndpointFlowState state)
    {
        if (State == state)
        {
            return;
        }

        if (State == EndpointFlowState.Paused)
        {
            ProbeAt = null;
            _resumed?.TrySetResult();
            _resumed = null;
        }

        State = state;
        Since = _timeProvider.GetUtcNow();
        StateChanged?.Invoke(this);
    }

    // Under _lock.
    private void StopTransport()
    {
        if (_switch is not null && !_transportStopped)
        {
            _transportStopped = true;
            _ = SwitchAsync(stop: true);
        }
    }

    // Under _lock.
    private void StartTransport()
    {
        if (_switch is not null && _transportStopped)
        {
            _transportStopped = false;
            _ = SwitchAsync(stop: false);
        }
    }

    private async Task SwitchAsync(bool stop)
    {
        try
        {
            if (stop)
            {
                await _switch!.StopAsync().ConfigureAwait(false);
            }
            else
            {
                await _switch!.StartAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The transport reconnects by itself; the next transition tries again.
            Log.SwitchFailed(_logger, Name, stop ? "stop" : "start", ex.GetType().Name);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2030, EventName = "EndpointPaused", Level = LogLevel.Warning,
            Message = "Endpoint {Endpoint} paused: the breaker of {Dependency} is open; messages stay in the queue")]
        public static partial void EndpointPaused(ILogger logger, string endpoint, string dependency);

        [LoggerMessage(EventId = 2031, EventName = "EndpointProbing", Level = LogLevel.Information,
            Message = "Endpoint {Endpoint} letting one probe message through")]
        public static partial void EndpointProbing(ILogger logger, string endpoint);

        [LoggerMessage(EventId = 2032, EventName = "EndpointResumed", Level = LogLevel.Information,
            Message = "Endpoint {Endpoint} resumed at its full concurrency of {Limit}")]
        public static partial void EndpointResumed(ILogger logger, string endpoint, int limit);

        [LoggerMessage(EventId = 2033, EventName = "EndpointSwitchFailed", Level = LogLevel.Warning,
            Message = "Endpoint {Endpoint} could not {Action} its transport ({ErrorType})")]
        public static partial void SwitchFailed(ILogger logger, string endpoint, string action, string errorType);
    }
}
