using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Messaging.Resilience.Deadlines;
using Polly;
using Polly.Telemetry;
using Polly.Timeout;

namespace Messaging.Resilience.Pipelines;

/// <summary>
/// The attempt timeout and slow-call detection in one layer: bounds each attempt by the smaller of its
/// own limit and the time left before the command's deadline (<see cref="Deadline.PropertyKey"/>), and,
/// when a slow-call threshold is set, measures the attempt and marks the execution when it was slower, so
/// the breaker can count slow successes as failures (Resilience4j's slow-call rate; Polly has none).
/// </summary>
/// <remarks>
/// <para>
/// It behaves as Polly's timeout strategy: the callback gets a token cancelled at the limit and when the
/// caller's token is (a pooled source, returned after the attempt), an attempt cancelled by the limit while
/// the caller's token did not fire ends in Polly's <see cref="TimeoutRejectedException"/>, reported as
/// Polly's <c>OnTimeout</c> event (so <c>resilience.polly.strategy.events</c> keeps it) and counted in
/// <c>messaging.resilience.timeouts</c>, and a cancellation caused by the caller carries the caller's token.
/// </para>
/// <para>
/// One layer instead of two (a slow-call layer around Polly's timeout) saves a pipeline hop per attempt;
/// an attempt that completes synchronously runs no async state machine, and a fast attempt touches no
/// context property. The mark is set only on a slow attempt and taken (cleared) by the breaker's predicate,
/// which runs right after every attempt.
/// </para>
/// </remarks>
internal sealed class AttemptTimeoutStrategy : ResilienceStrategy
{
    /// <summary>The name of the layer (the strategy name in Polly's telemetry).</summary>
    public const string Name = "AttemptTimeout";

    /// <summary>Set on the execution's properties after a slow attempt (boxed once: no allocation per call).</summary>
    public static readonly ResiliencePropertyKey<object> SlowCallKey = new("Messaging.SlowCall");

    private static readonly object Slow = true;
    private static readonly object Taken = false;
    private static readonly ResilienceEvent OnTimeoutEvent = new(ResilienceEventSeverity.Error, "OnTimeout");
    private static readonly Action<object?> CancelSource = static source => ((CancellationTokenSource)source!).Cancel();

    private readonly string _dependency;
    private readonly TimeSpan _limit;
    private readonly bool _countsSlowCalls;
    private readonly TimeSpan _slowCallThreshold;
    private readonly TimeProvider _timeProvider;
    private readonly ResilienceMetrics _metrics;
    private readonly ResilienceStrategyTelemetry _telemetry;
    private readonly TimeoutSourcePool _sources;

    public AttemptTimeoutStrategy(
        string dependency, TimeSpan limit, TimeSpan? slowCallThreshold, TimeProvider timeProvider, ResilienceMetrics metrics, ResilienceStrategyTelemetry telemetry)
    {
        _dependency = dependency;
        _limit = limit;
        _countsSlowCalls = slowCallThreshold is not null;
        _slowCallThreshold = slowCallThreshold ?? TimeSpan.Zero;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _telemetry = telemetry;
        _sources = TimeoutSourcePool.For(timeProvider);
    }

    /// <summary>
    /// Whether the attempt that just ended was slow. Clears the mark, so a later attempt on the same
    /// context (a retry, or a caller that reuses its context) starts unmarked. Call once per attempt.
    /// </summary>
    public static bool TakeSlow(ResilienceContext context)
    {
        if (!context.Properties.TryGetValue(SlowCallKey, out var value) || !ReferenceEquals(value, Slow))
        {
            return false;
        }

        context.Properties.Set(SlowCallKey, Taken);
        return true;
    }

    protected override ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
    {
        var started = _countsSlowCalls ? _timeProvider.GetTimestamp() : 0;
        var timeout = Deadline.Bound(context, _limit, _timeProvider);

        // As Polly's timeout: the callback sees a pooled token cancelled at the limit or with the caller's.
        var callerToken = context.CancellationToken;
        var source = _sources.Rent(timeout);
        SetCancellationToken(context, source.Token);
        var attempt = new Attempt(context, callerToken, callerToken.UnsafeRegister(CancelSource, source), source, timeout, started);

        ValueTask<Outcome<TResult>> pending;
        try
        {
            pending = callback(context, state);
        }
#pragma warning disable CA1031 // As Polly's timeout: whatever the callback throws becomes the outcome.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            pending = Outcome.FromExceptionAsValueTask<TResult>(ex);
        }

        if (!pending.IsCompletedSuccessfully)
        {
            return Awaited(pending, attempt);
        }

        return ValueTask.FromResult(Complete(pending.Result, attempt));
    }

    private async ValueTask<Outcome<TResult>> Awaited<TResult>(ValueTask<Outcome<TResult>> pending, Attempt attempt)
    {
        Outcome<TResult> outcome;
        try
        {
            outcome = await pending.ConfigureAwait(attempt.Context.ContinueOnCapturedContext);
        }
#pragma warning disable CA1031 // As Polly's timeout: whatever the callback throws becomes the outcome.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            outcome = Outcome.FromException<TResult>(ex);
        }

        return Complete(outcome, attempt);
    }

    private Outcome<TResult> Complete<TResult>(Outcome<TResult> outcome, in Attempt attempt)
    {
        var context = attempt.Context;
        var cancelled = attempt.Source.IsCancellationRequested;

        // The attempt is over: give the caller's token back, release the pooled source.
        SetCancellationToken(context, attempt.CallerToken);
        attempt.Registration.Dispose();
        _sources.Return(attempt.Source);

        if (_countsSlowCalls && _timeProvider.GetElapsedTime(attempt.Started) > _slowCallThreshold)
        {
            context.Properties.Set(SlowCallKey, Slow);
            _metrics.SlowCalls.Add(1, new KeyValuePair<string, object?>("messaging.resilience.dependency", _dependency));
        }

        if (outcome.Exception is not OperationCanceledException canceled)
        {
            return outcome;
        }

        if (cancelled && !attempt.CallerToken.IsCancellationRequested)
        {
            return TimedOut<TResult>(context, attempt.Timeout, canceled);
        }

        // Cancelled by the caller: the exception carries the caller's token, as Polly's timeout does it.
        return attempt.CallerToken.IsCancellationRequested && canceled.CancellationToken != attempt.CallerToken
            ? Outcome.FromException<TResult>(WithStackTrace(new OperationCanceledException(canceled.Message, canceled, attempt.CallerToken)))
            : outcome;
    }

    private Outcome<TResult> TimedOut<TResult>(ResilienceContext context, TimeSpan timeout, OperationCanceledException canceled)
    {
        _telemetry.Report(OnTimeoutEvent, context, new OnTimeoutArguments(context, timeout));
        _metrics.RecordTimeout(_dependency, "attempt");
        var exception = new TimeoutRejectedException($"The operation didn't complete within the allowed timeout of '{timeout}'.", timeout, canceled);
        _telemetry.SetTelemetrySource(exception);
        return Outcome.FromException<TResult>(WithStackTrace(exception));
    }

    // Polly's own timeout swaps the execution's token through this setter, which is internal to Polly; a
    // strategy outside Polly reaches it without reflection (resolved once by the JIT, a direct call
    // afterwards). Were it renamed, this throws MissingMethodException and every timeout test fails.
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_CancellationToken")]
    private static extern void SetCancellationToken(ResilienceContext context, CancellationToken cancellationToken);

    private static T WithStackTrace<T>(T exception)
        where T : Exception
    {
        if (string.IsNullOrWhiteSpace(exception.StackTrace))
        {
            ExceptionDispatchInfo.SetCurrentStackTrace(exception);
        }

        return exception;
    }

    /// <summary>What one attempt needs at its end; a struct, so the synchronous path allocates nothing.</summary>
    private readonly record struct Attempt(
        ResilienceContext Context,
        CancellationToken CallerToken,
        CancellationTokenRegistration Registration,
        CancellationTokenSource Source,
        TimeSpan Timeout,
        long Started);
}
