using System.Threading.RateLimiting;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Pipelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;

namespace Messaging.Resilience.Routes;

/// <summary>
/// Resilience for HTTP routes with one line: <c>group.WithResilience("commands")</c>. Layer order per
/// request: request timeout (ASP.NET Core's request timeouts middleware, answering 503) → bulkhead
/// (Polly concurrency limiter with a short queue) → breaker over 5xx, timeouts and unhandled errors →
/// handler. Settings per route group in <c>Resilience:Routes:&lt;name&gt;</c>; the bulkhead and breaker
/// reload without restart.
/// </summary>
public static class RouteResilienceExtensions
{
    private const string PipelinePrefix = "route:";

    /// <summary>Registers the named route groups' options, request timeout policies and pipelines.</summary>
    public static IHostApplicationBuilder AddRouteResilience(this IHostApplicationBuilder builder, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddResilienceCore();
        foreach (var name in names)
        {
            var section = builder.Configuration.GetSection($"{RouteResilienceOptions.SectionName}:{name}");
            builder.Services.AddOptions<RouteResilienceOptions>(name).Bind(section).ValidateDataAnnotations().ValidateOnStart();
            var timeout = section.GetValue<TimeSpan?>(nameof(RouteResilienceOptions.RequestTimeout)) ?? new RouteResilienceOptions().RequestTimeout;
            builder.Services.AddRequestTimeouts(o => o.AddPolicy(PipelinePrefix + name, new RequestTimeoutPolicy
            {
                Timeout = timeout,
                TimeoutStatusCode = StatusCodes.Status503ServiceUnavailable,
            }));
            builder.Services.AddResiliencePipeline<string, object?>(PipelinePrefix + name, (pipeline, context) =>
            {
                context.EnableReloads<RouteResilienceOptions>(name);
                var options = context.GetOptions<RouteResilienceOptions>(name);
                pipeline.AddConcurrencyLimiter(new ConcurrencyLimiterOptions
                {
                    PermitLimit = options.ConcurrencyLimit,
                    QueueLimit = options.QueueLimit,
                    QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                });
                var breaker = new CircuitBreakerStrategyOptions<object?>
                {
                    Name = PipelinePrefix + name,
                    FailureRatio = options.FailureRatio,
                    MinimumThroughput = options.MinimumThroughput,
                    SamplingDuration = options.SamplingDuration,
                    BreakDuration = options.BreakDuration,
                    ShouldHandle = args => ValueTask.FromResult(RouteResilienceFilter.IsFailure(args.Context, args.Outcome)),
                };
                context.ServiceProvider.GetRequiredService<BreakerRegistry>().Attach(PipelinePrefix + name, breaker);
                pipeline.AddCircuitBreaker(breaker);
            });
        }

        return builder;
    }

    /// <summary>Protects the routes of <paramref name="builder"/> with the route group <paramref name="name"/>.</summary>
    public static TBuilder WithResilience<TBuilder>(this TBuilder builder, string name)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WithRequestTimeout(PipelinePrefix + name);
        builder.AddEndpointFilterFactory((factoryContext, next) =>
        {
            var pipeline = factoryContext.ApplicationServices.GetRequiredService<ResiliencePipelineProvider<string>>()
                .GetPipeline<object?>(PipelinePrefix + name);
            var filter = new RouteResilienceFilter(name, pipeline);
            return invocation => filter.InvokeAsync(invocation, next);
        });
        return builder;
    }
}
