using Messaging.Resilience.Breakers;
using Messaging.Resilience.Classification;
using Messaging.Store.DeadLetters;
using Messaging.Resilience.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Messaging.Gateway.Monitoring;

/// <summary>The operations API (scope <c>admin</c>): the overview and manual breaker control.</summary>
internal static class MonitoringApi
{
    private const string MonitoringRouteBreaker = "route:monitoring";

    public static RouteGroupBuilder MapMonitoringApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/monitoring").RequireAuthorization(GatewayClaims.AdminScope).WithTags("Monitoring");
        group.MapGet("/overview", GetOverviewAsync).WithName("GetMonitoringOverview")
            .WithSummary("Queues, breakers, worker endpoints, outbox, dead letters, rate limiting and alerts");
        group.MapPost("/breakers/{name}/isolate", (string name, SharedBreakerStates breakers, CancellationToken ct) =>
            ControlAsync(name, BreakerAction.Isolate, breakers, ct)).WithName("IsolateBreaker")
            .WithSummary("Hold a breaker open across the fleet until it is reset")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/breakers/{name}/reset", (string name, SharedBreakerStates breakers, CancellationToken ct) =>
            ControlAsync(name, BreakerAction.Reset, breakers, ct)).WithName("ResetBreaker")
            .WithSummary("Close a breaker across the fleet")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    private static async Task<Ok<MonitoringOverview>> GetOverviewAsync(
        SharedBreakerStates breakers, SharedEndpointStates endpoints, DistributedRateLimits rateLimits, NpgsqlDataSource dataSource,
        DeadLetterStore deadLetters, MonitoringSampler sampler, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var snapshot = await breakers.FleetSnapshotAsync(cancellationToken);
        var endpointSnapshot = await endpoints.FleetSnapshotAsync(cancellationToken);
        var outbox = await OutboxStatistics.ReadAsync(dataSource, timeProvider, cancellationToken);
        DeadLetterSummary? deadLetterSummary;
        try
        {
            deadLetterSummary = await deadLetters.SummaryAsync(cancellationToken);
        }
        catch (Exception ex) when (DependencyUnavailable.IsPostgresFailure(ex))
        {
            // Monitoring degrades, it does not fail: the field is left out while PostgreSQL is away or answers with an error.
            deadLetterSummary = null;
        }

        return TypedResults.Ok(new MonitoringOverview(
            snapshot.Select(b => new BreakerView(b.Name, ToWire(b.State), b.Since)).ToList(),
            outbox,
            deadLetterSummary)
        {
            // Queues and alerts come from the sampler's latest pass (every Monitoring:SampleInterval).
            Queues = sampler.Latest.Sample.Queues ?? [],
            Alerts = sampler.Latest.Alerts,
            SampledAt = sampler.Latest.Sample.At,
            RateLimiting = new RateLimitingView(rateLimits.RejectedLastMinute, rateLimits.IsDegraded),
            Endpoints = [.. endpointSnapshot.Select(e => new EndpointView(e.Name, e.State.ToString().ToLowerInvariant(), e.Since, e.ConcurrencyLimit, e.PausedBy))],
        });
    }

    private static async Task<Results<Ok<BreakerView>, ProblemHttpResult>> ControlAsync(
        string name, BreakerAction action, SharedBreakerStates breakers, CancellationToken cancellationToken)
    {
        if (!await breakers.ExistsAsync(name, cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No breaker has this name.");
        }

        if (action == BreakerAction.Isolate && name == MonitoringRouteBreaker)
        {
            // Isolating it would reject the very requests needed to reset it.
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The monitoring API's own breaker cannot be isolated.");
        }

        await breakers.ControlAsync(name, action, cancellationToken);
        var state = action == BreakerAction.Isolate ? BreakerState.Isolated : BreakerState.Closed;
        var current = (await breakers.FleetSnapshotAsync(cancellationToken)).FirstOrDefault(b => b.Name == name);
        return TypedResults.Ok(new BreakerView(name, ToWire(current?.State ?? state), current?.Since ?? DateTimeOffset.MinValue));
    }

    private static string ToWire(BreakerState state) => state switch
    {
        BreakerState.Closed => "closed",
        BreakerState.HalfOpen => "half-open",
        BreakerState.Open => "open",
        _ => "isolated",
    };
}

/// <summary>The body of <c>GET /api/monitoring/overview</c>.</summary>
internal sealed record MonitoringOverview(IReadOnlyList<BreakerView> Breakers, OutboxStatistics? Outbox, DeadLetterSummary? DeadLetters)
{
    /// <summary>This instance's rate limiting.</summary>
    public RateLimitingView? RateLimiting { get; init; }

    /// <summary>The queues: depth, unacked, consumers, rates and recent depths (empty until the first sample).</summary>
    public IReadOnlyList<QueueView> Queues { get; init; } = [];

    /// <summary>The built-in alerts firing now, most severe first.</summary>
    public IReadOnlyList<AlertView> Alerts { get; init; } = [];

    /// <summary>When the queues and alerts were sampled.</summary>
    public DateTimeOffset SampledAt { get; init; }

    /// <summary>The workers' breaker-aware endpoints, fleet-wide (published through Redis).</summary>
    public IReadOnlyList<EndpointView> Endpoints { get; init; } = [];
}

/// <summary>This instance's rate limiting: requests it refused in the last minute, and whether it is on its local fallback.</summary>
internal sealed record RateLimitingView(long RejectedLastMinute, bool Degraded);

/// <summary>
/// One breaker-aware worker endpoint: <c>running</c>, <c>paused</c> (a dependency's breakers are open:
/// messages wait in the queue), <c>probing</c> (one message tests the dependency) or <c>ramping</c>.
/// </summary>
internal sealed record EndpointView(string Name, string State, DateTimeOffset Since, int ConcurrencyLimit, string? PausedBy);

/// <summary>One breaker as operators see it.</summary>
internal sealed record BreakerView(string Name, string State, DateTimeOffset Since);
