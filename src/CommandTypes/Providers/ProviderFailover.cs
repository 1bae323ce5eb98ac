using Messaging.Resilience.Classification;
using Messaging.Resilience.Deadlines;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Hedging;
using Polly.Registry;
using Polly.Timeout;

namespace Messaging.CommandTypes.Providers;

/// <summary>
/// The failover pipeline of a provider (<c>&lt;provider&gt;.failover</c>): a total timeout (the provider's
/// <c>TotalTimeout</c>, bounded by the command's deadline) around Polly's hedging strategy in fallback mode
/// (<see cref="Timeout.InfiniteTimeSpan"/> delay: the next endpoint is tried only after the previous one
/// failed). Attempt <c>n</c> goes to endpoint <c>n</c> through that endpoint's own pipeline.
/// </summary>
/// <remarks>
/// The next endpoint is tried after a transient failure (5xx, 408, 429, connection failure, attempt timeout)
/// or when the endpoint's breaker is open. Moving on after a real failure is a retry of the provider and is
/// withdrawn from its retry budget; moving on past an open breaker is free, since the failed endpoint was
/// not called. Nothing moves on once the deadline has passed or the caller cancelled. When every endpoint
/// failed, the first endpoint's outcome is returned (Polly's hedging keeps the first completed outcome).
/// </remarks>
internal static partial class ProviderFailover
{
    /// <summary>The index of the endpoint an attempt goes to (the hedging attempt number).</summary>
    public static readonly ResiliencePropertyKey<int> EndpointKey = new("Messaging.ProviderEndpoint");

    /// <summary>The provider's failover pipeline from the registry, built on first use and rebuilt when its settings change.</summary>
    public static ResiliencePipeline<HttpResponseMessage> GetOrAddPipeline(
        ResiliencePipelineRegistry<string> registry, IServiceProvider services, ProviderEndpoints endpoints)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(endpoints);
        if (registry.TryGetPipeline<HttpResponseMessage>(endpoints.FailoverPipelineName, out var existing))
        {
            return existing;
        }

        return registry.GetOrAddPipeline<HttpResponseMessage>(endpoints.FailoverPipelineName, (builder, context) =>
        {
            var options = services.GetRequiredService<IOptionsMonitor<DependencyPipelineOptions>>();
            context.EnableReloads(options, endpoints.Provider);
            Build(builder, endpoints, options.Get(endpoints.Provider), services);
        });
    }

    private static void Build(ResiliencePipelineBuilder<HttpResponseMessage> builder, ProviderEndpoints endpoints, DependencyPipelineOptions options,
        IServiceProvider services)
    {
        var timeProvider = services.GetRequiredService<TimeProvider>();
        var budget = services.GetRequiredService<RetryBudgets>().For(endpoints.Provider);
        var metrics = services.GetRequiredService<ResilienceMetrics>();
        var logger = services.GetRequiredService<ILogger<ProviderEndpointsHandler>>();

        builder.AddTimeout(new TimeoutStrategyOptions
        {
            Name = "FailoverTimeout",
            Timeout = options.TotalTimeout,
            TimeoutGenerator = args => ValueTask.FromResult(Deadline.Bound(args.Context, options.TotalTimeout, timeProvider)),
            OnTimeout = _ =>
            {
                metrics.RecordTimeout(endpoints.Provider, "total");
                return ValueTask.CompletedTask;
            },
        });

        builder.AddHedging(new HedgingStrategyOptions<HttpResponseMessage>
        {
            Name = "Failover",
            Delay = Timeout.InfiniteTimeSpan,
            MaxHedgedAttempts = Math.Clamp(endpoints.All.Count - 1, 1, ProviderEndpoints.MaxCount - 1),
            ShouldHandle = args => ValueTask.FromResult(ShouldFailOver(args, endpoints, budget, metrics, timeProvider, logger)),
            ActionGenerator = args =>
            {
                if (args.AttemptNumber >= endpoints.All.Count)
                {
                    return null;
                }

                args.ActionContext.Properties.Set(EndpointKey, args.AttemptNumber);
                return () => args.Callback(args.ActionContext);
            },
        });
    }

    private static bool ShouldFailOver(HedgingPredicateArguments<HttpResponseMessage> args, ProviderEndpoints endpoints, RetryBudget budget,
        ResilienceMetrics metrics, TimeProvider timeProvider, ILogger logger)
    {
        var outcome = args.Outcome;
        var attempted = args.Context.Properties.GetValue(EndpointKey, 0);
        var next = attempted + 1;
        if (next >= endpoints.All.Count || args.Context.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        var rejected = outcome.Exception is BrokenCircuitException;
        if (!rejected && !TransientFailures.Http.IsTransient(outcome.Exception, outcome.Result))
        {
            // An answer (a 402, a 400, a 201) or a failure no other endpoint would change.
            return false;
        }

        if (Deadline.From(args.Context) is { } deadline && deadline.HasPassed(timeProvider))
        {
            return false;
        }

        var from = endpoints.All[attempted].PipelineName;
        var to = endpoints.All[next].PipelineName;
        if (!rejected && !budget.TryWithdrawRetry())
        {
            metrics.RecordRetryBudgetExhausted(endpoints.Provider);
            Log.FailoverRefusedByBudget(logger, from, to, Describe(outcome));
            return false;
        }

        Log.FailingOver(logger, from, to, Describe(outcome));
        return true;
    }

    // The kind of failure only: never a body or a header.
    private static string Describe(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: BrokenCircuitException } => "breaker open",
        { Exception: { } exception } => exception.GetType().Name,
        { Result: { } response } => "HTTP " + (int)response.StatusCode,
        _ => "no answer",
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 4120, EventName = "ProviderFailover", Level = LogLevel.Warning,
            Message = "{FromEndpoint} failed ({Reason}); failing over to {ToEndpoint}")]
        public static partial void FailingOver(ILogger logger, string fromEndpoint, string toEndpoint, string reason);

        [LoggerMessage(EventId = 4121, EventName = "ProviderFailoverRefusedByRetryBudget", Level = LogLevel.Warning,
            Message = "{FromEndpoint} failed ({Reason}); not failing over to {ToEndpoint}: the provider's retry budget is spent")]
        public static partial void FailoverRefusedByBudget(ILogger logger, string fromEndpoint, string toEndpoint, string reason);
    }
}
