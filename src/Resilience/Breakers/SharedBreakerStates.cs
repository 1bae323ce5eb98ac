using System.Text.Json;
using Messaging.Resilience.Redis;
using Messaging.Resilience.Signing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;
using StackExchange.Redis;

namespace Messaging.Resilience.Breakers;

/// <summary>
/// Makes every process's breakers visible and controllable from any other through Redis: each process
/// publishes its breakers' states (on every transition and every few seconds, with an expiry so a dead
/// process's entries vanish), and listens on a control channel for isolate/reset requests, which it
/// applies to the breakers it has. The gateway's monitoring API reads and controls the whole fleet this
/// way. Without Redis each process still sees and controls its own breakers. Control messages are signed
/// (<see cref="MessageSigner"/>) and carry their time: an unsigned, badly signed or stale one (more than
/// <see cref="ControlMessageMaxAge"/> from this process's clock) is ignored, so whoever can publish on Redis cannot
/// isolate the fleet's breakers.
/// </summary>
public sealed partial class SharedBreakerStates(
    BreakerRegistry registry,
    IConnectionMultiplexer redis,
    MessageSigner signer,
    IOptions<RedisOptions> redisOptions,
    IHostEnvironment environment,
    ResiliencePipelineProvider<string> pipelines,
    TimeProvider timeProvider,
    ILogger<SharedBreakerStates> logger) : BackgroundService
{
    /// <summary>How far a control message's time may be from this process's clock before it is ignored as stale.</summary>
    public static readonly TimeSpan ControlMessageMaxAge = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan PublishInterval = TimeSpan.FromSeconds(5);
    private readonly FleetStateTable<PublishedState> _table = new(redis, redisOptions.Value, environment, pipelines, timeProvider, "breakers", "breaker");
    private readonly string _prefix = redisOptions.Value.KeyPrefix;
    private readonly SemaphoreSlim _publishLock = new(1, 1);

    // Redis calls go through the redis pipeline (short timeouts, its breaker) when the host registered it.
    private ResiliencePipeline Redis => pipelines.TryGetPipeline(DependencyNames.Redis, out var pipeline) ? pipeline : ResiliencePipeline.Empty;

    private RedisChannel ControlChannel => RedisChannel.Literal(_prefix + "breakers:control");

    /// <summary>The breakers of every live process: per name the most severe state any instance reports.</summary>
    public async Task<IReadOnlyList<BreakerSnapshot>> FleetSnapshotAsync(CancellationToken cancellationToken = default)
    {
        var states = registry.Snapshot().ToDictionary(s => s.Name, StringComparer.Ordinal);
        if (_table.IsConnected)
        {
            try
            {
                foreach (var (name, published) in await _table.ReadLiveAsync(cancellationToken).ConfigureAwait(false))
                {
                    var candidate = new BreakerSnapshot(name, published.State, published.Since);
                    states[name] = states.TryGetValue(name, out var current) ? MoreSevere(current, candidate) : candidate;
                }
            }
            catch (Exception ex) when (FleetStateTable<PublishedState>.IsRedisFailure(ex))
            {
                Log.FleetReadFailed(logger, ex.GetType().Name);
            }
        }

        return states.Values.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether any live process has a breaker with this name.</summary>
    public async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken = default) =>
        (await FleetSnapshotAsync(cancellationToken).ConfigureAwait(false)).Any(s => s.Name == name);

    /// <summary>Isolates (or resets) a breaker in this process and asks every other process to do the same.</summary>
    public async Task ControlAsync(string name, BreakerAction action, CancellationToken cancellationToken = default)
    {
        await ApplyAsync(name, action, cancellationToken).ConfigureAwait(false);
        try
        {
            var at = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
            var message = JsonSerializer.Serialize(new ControlMessage(name, action, _table.Instance, at, signer.Sign(SignedFields(name, action, _table.Instance, at))));
            await Redis.ExecuteAsync(async ct => await redis.GetSubscriber().PublishAsync(ControlChannel, message).WaitAsync(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (FleetStateTable<PublishedState>.IsRedisFailure(ex))
        {
            Log.ControlPublishFailed(logger, name, ex.GetType().Name);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        registry.StateChanged += OnStateChanged;
        try
        {
            await SubscribeAsync().ConfigureAwait(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                await PublishAllAsync().ConfigureAwait(false);
                await Task.Delay(PublishInterval, timeProvider, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            registry.StateChanged -= OnStateChanged;
        }
    }

    private async Task SubscribeAsync()
    {
        try
        {
            var queue = await redis.GetSubscriber().SubscribeAsync(ControlChannel).ConfigureAwait(false);
            queue.OnMessage(async message =>
            {
                if (Accept(message.Message.ToString()) is { } control && control.From != _table.Instance)
                {
                    await ApplyAsync(control.Name, control.Action, CancellationToken.None).ConfigureAwait(false);
                }
            });
        }
        catch (Exception ex) when (FleetStateTable<PublishedState>.IsRedisFailure(ex))
        {
            // The multiplexer re-establishes subscriptions it has; one made while Redis is down is retried
            // by the next start. Local control keeps working meanwhile.
            Log.SubscribeFailed(logger, ex.GetType().Name);
        }
    }

    private async Task ApplyAsync(string name, BreakerAction action, CancellationToken cancellationToken)
    {
        if (!registry.Contains(name))
        {
            return;
        }

        if (action == BreakerAction.Isolate)
        {
            await registry.IsolateAsync(name, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await registry.ResetAsync(name, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The control message in <paramref name="text"/> when it is well formed, signed with one of our keys and fresh; otherwise null.</summary>
    internal ControlMessage? Accept(string text)
    {
        ControlMessage? control;
        try
        {
            control = JsonSerializer.Deserialize<ControlMessage>(text);
        }
        catch (JsonException)
        {
            control = null;
        }

        if (control is null || control.Name is null || control.From is null || !Enum.IsDefined(control.Action)
            || !signer.Verify(control.Signature, SignedFields(control.Name, control.Action, control.From, control.At)))
        {
            Log.ControlMessageIgnored(logger, "unsigned or badly signed");
            return null;
        }

        var age = timeProvider.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(control.At, 0, DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()));
        if (age.Duration() > ControlMessageMaxAge)
        {
            Log.ControlMessageIgnored(logger, "stale");
            return null;
        }

        return control;
    }

    private static string?[] SignedFields(string name, BreakerAction action, string from, long at) =>
        ["breaker-control", name, action.ToString(), from, at.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    private void OnStateChanged(BreakerStateChanged change) => _ = PublishAsync(change.Name);

    private async Task PublishAllAsync()
    {
        foreach (var snapshot in registry.Snapshot())
        {
            await PublishAsync(snapshot.Name).ConfigureAwait(false);
        }
    }

    // Writes are serialised and each publishes the breaker's state as it is at the time of the write, so a
    // periodic write that read a state just before a transition can never land after the transition's own.
    private async Task PublishAsync(string name)
    {
        if (!_table.IsConnected)
        {
            return;
        }

        await _publishLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (registry.Snapshot().FirstOrDefault(s => s.Name == name) is { } snapshot)
            {
                await WriteAsync(snapshot).ConfigureAwait(false);
            }
        }
        finally
        {
            _publishLock.Release();
        }
    }

    private async Task WriteAsync(BreakerSnapshot snapshot)
    {
        try
        {
            await _table.WriteAsync(snapshot.Name, new PublishedState(snapshot.State, snapshot.Since)).ConfigureAwait(false);
        }
        catch (Exception ex) when (FleetStateTable<PublishedState>.IsRedisFailure(ex))
        {
            Log.PublishFailed(logger, snapshot.Name, ex.GetType().Name);
        }
    }

    private static BreakerSnapshot MoreSevere(BreakerSnapshot a, BreakerSnapshot b)
    {
        var severityA = Severity(a.State);
        var severityB = Severity(b.State);
        if (severityA != severityB)
        {
            return severityA > severityB ? a : b;
        }

        return a.Since <= b.Since ? a : b;
    }

    private static int Severity(BreakerState state) => state switch
    {
        BreakerState.Isolated => 3,
        BreakerState.Open => 2,
        BreakerState.HalfOpen => 1,
        _ => 0,
    };

    private sealed record PublishedState(BreakerState State, DateTimeOffset Since);

    /// <summary>An isolate or reset request on the control channel.</summary>
    /// <param name="Name">The breaker.</param>
    /// <param name="Action">Isolate or reset.</param>
    /// <param name="From">The sending process (which has applied it already).</param>
    /// <param name="At">When it was sent, in Unix milliseconds.</param>
    /// <param name="Signature">The signature of the other fields (<see cref="MessageSigner"/>).</param>
    internal sealed record ControlMessage(string Name, BreakerAction Action, string From, long At, string? Signature);

    private static partial class Log
    {
        [LoggerMessage(EventId = 2020, EventName = "BreakerStatePublishFailed", Level = LogLevel.Debug,
            Message = "Could not publish the state of breaker {Breaker} to Redis ({ErrorType})")]
        public static partial void PublishFailed(ILogger logger, string breaker, string errorType);

        [LoggerMessage(EventId = 2021, EventName = "BreakerFleetReadFailed", Level = LogLevel.Warning,
            Message = "Could not read other processes' breaker states from Redis ({ErrorType}); showing this process's only")]
        public static partial void FleetReadFailed(ILogger logger, string errorType);

        [LoggerMessage(EventId = 2022, EventName = "BreakerControlPublishFailed", Level = LogLevel.Warning,
            Message = "Could not forward the control of breaker {Breaker} to other processes ({ErrorType}); applied here only")]
        public static partial void ControlPublishFailed(ILogger logger, string breaker, string errorType);

        [LoggerMessage(EventId = 2024, EventName = "BreakerControlMessageIgnored", Level = LogLevel.Warning,
            Message = "A breaker control message on Redis was ignored: {Reason}")]
        public static partial void ControlMessageIgnored(ILogger logger, string reason);

        [LoggerMessage(EventId = 2023, EventName = "BreakerControlSubscribeFailed", Level = LogLevel.Warning,
            Message = "Could not subscribe to breaker control requests ({ErrorType})")]
        public static partial void SubscribeFailed(ILogger logger, string errorType);
    }
}
