using System.Security.Claims;
using Messaging.Contracts.Commands;
using Messaging.Gateway.Auth;
using Messaging.Gateway.Commands;
using Messaging.Resilience.Breakers;
using Messaging.Store.Audit;
using Messaging.Resilience.Classification;
using Messaging.Store.DeadLetters;
using Messaging.Resilience.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Messaging.Gateway.Monitoring;

/// <summary>
/// The operations API: the overview (scope <c>admin</c>: the token's own tenant; scope <c>operator</c>: the fleet), the
/// audit trail, and manual breaker control (scope <c>operator</c> only, audited).
/// </summary>
internal static partial class MonitoringApi
{
    /// <summary>
    /// Breakers nobody may isolate: the token endpoint's (isolating it would stop every client of every tenant from
    /// authenticating, the operators who would reset it included) and the monitoring API's own (it would reject the
    /// very requests needed to reset it).
    /// </summary>
    public static IReadOnlySet<string> NeverIsolated { get; } = new HashSet<string>(StringComparer.Ordinal) { "route:auth", "route:monitoring" };

    public static RouteGroupBuilder MapMonitoringApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/monitoring").RequireAuthorization(GatewayClaims.AdminScope).WithTags("Monitoring");
        group.MapGet("/overview", GetOverviewAsync).WithName("GetMonitoringOverview")
            .WithSummary("Queues, breakers, worker endpoints, outbox, dead letters, rate limiting and alerts (a tenant admin: its own share)");
        group.MapGet("/audit", GetAuditAsync).WithName("ListAuditRecords")
            .WithSummary("Audited actions, newest first (a tenant admin: those that touched its tenant)")
            .ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapGet("/commands/{id}", GetCommandAsync).WithName("GetMonitoredCommand")
            .WithSummary("One command's status document and tenant, by id (a tenant admin: its own tenant's; 404 for unknown ids and other tenants')")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/breakers/{name}/isolate", (string name, ClaimsPrincipal user, SharedBreakerStates breakers, AuditTrail audit, ILoggerFactory logs,
            TimeProvider timeProvider, CancellationToken ct) =>
            ControlAsync(name, BreakerAction.Isolate, OperationsCaller.From(user), breakers, audit, logs, timeProvider, ct)).WithName("IsolateBreaker")
            .RequireAuthorization(GatewayClaims.OperatorScope)
            .WithSummary("Hold a breaker open across the fleet until it is reset (scope operator)")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/breakers/{name}/reset", (string name, ClaimsPrincipal user, SharedBreakerStates breakers, AuditTrail audit, ILoggerFactory logs,
            TimeProvider timeProvider, CancellationToken ct) =>
            ControlAsync(name, BreakerAction.Reset, OperationsCaller.From(user), breakers, audit, logs, timeProvider, ct)).WithName("ResetBreaker")
            .RequireAuthorization(GatewayClaims.OperatorScope)
            .WithSummary("Close a breaker across the fleet (scope operator)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    private static async Task<Ok<MonitoringOverview>> GetOverviewAsync(
        ClaimsPrincipal user, SharedBreakerStates breakers, SharedEndpointStates endpoints, DistributedRateLimits rateLimits, NpgsqlDataSource dataSource,
        DeadLetterStore deadLetters, CommandTypeRegistry commandTypes, MonitoringSampler sampler, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var caller = OperationsCaller.From(user);
        var tenant = caller.IsOperator ? null : caller.Tenant;
        var snapshot = await breakers.FleetSnapshotAsync(cancellationToken);
        var endpointSnapshot = await endpoints.FleetSnapshotAsync(cancellationToken);
        var outbox = await OutboxStatistics.ReadAsync(dataSource, timeProvider, tenant, cancellationToken);
        DeadLetterSummary? deadLetterSummary;
        try
        {
            deadLetterSummary = await deadLetters.SummaryAsync(tenant, cancellationToken);
        }
        catch (Exception ex) when (DependencyUnavailable.IsPostgresFailure(ex))
        {
            // Monitoring degrades, it does not fail: the field is left out while PostgreSQL is away or answers with an error.
            deadLetterSummary = null;
        }

        // Breakers and worker endpoints are shared by every tenant and say why its commands wait: everyone sees them.
        var overview = new MonitoringOverview(snapshot.Select(b => new BreakerView(b.Name, ToWire(b.State), b.Since)).ToList(), outbox, deadLetterSummary)
        {
            Tenant = tenant,
            SampledAt = sampler.Latest.Sample.At,
            Endpoints = [.. endpointSnapshot.Select(e => new EndpointView(e.Name, e.State.ToString().ToLowerInvariant(), e.Since, e.ConcurrencyLimit, e.PausedBy))],
        };
        if (tenant is not null)
        {
            // A tenant admin sees its own share of the queues; the broker's figures, the alerts and the door's
            // rejections are the fleet's (other tenants' traffic), for operators.
            return TypedResults.Ok(overview with
            {
                Queues = await TenantQueueShare.ReadAsync(dataSource, commandTypes, sampler.Latest.Sample.Queues ?? [], tenant, cancellationToken),
            });
        }

        // Queues and alerts come from the sampler's latest pass (every Monitoring:SampleInterval).
        return TypedResults.Ok(overview with
        {
            Queues = sampler.Latest.Sample.Queues ?? [],
            Alerts = sampler.Latest.Alerts,
            RateLimiting = new RateLimitingView(rateLimits.RejectedLastMinute, rateLimits.IsDegraded),
        });
    }

    private static async Task<Results<Ok<MonitoredCommand>, ProblemHttpResult>> GetCommandAsync(
        string id, ClaimsPrincipal user, CommandStore store, CancellationToken cancellationToken)
    {
        // Malformed ids, unknown ids and other tenants' ids get the very same answer, as on GET /api/commands/{id}.
        var caller = OperationsCaller.From(user);
        if (!Guid.TryParse(id, out var commandId)
            || await store.FindAsync(caller.IsOperator ? null : caller.Tenant, commandId, cancellationToken) is not { } found)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Command not found");
        }

        return TypedResults.Ok(new MonitoredCommand(found.Tenant, found.View));
    }

    private static async Task<Results<Ok<IReadOnlyList<AuditEntry>>, ProblemHttpResult>> GetAuditAsync(
        string? tenant, long? before, int? limit, ClaimsPrincipal user, AuditTrail audit, CancellationToken cancellationToken)
    {
        if (!OperationsCaller.From(user).TryNarrow(tenant, out var narrowed))
        {
            return OperationsCaller.OtherTenant();
        }

        return TypedResults.Ok(await audit.ListAsync(narrowed, before, limit ?? 100, cancellationToken));
    }

    private static async Task<Results<Ok<BreakerView>, ProblemHttpResult>> ControlAsync(
        string name, BreakerAction action, OperationsCaller caller, SharedBreakerStates breakers, AuditTrail audit, ILoggerFactory logs,
        TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        // Refused by name, before anything is read: whether this process has built the breaker yet does not matter.
        var auditAction = action == BreakerAction.Isolate ? AuditActions.BreakerIsolate : AuditActions.BreakerReset;
        if (action == BreakerAction.Isolate && NeverIsolated.Contains(name))
        {
            await AuditAsync(new AuditRecord(caller.Actor, auditAction, name, Tenant: null, AuditActions.Refused), audit, logs, cancellationToken);
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: $"The {name} breaker cannot be isolated.",
                detail: "Isolating it would lock every client out of the gateway, or the operators out of the API that resets it.");
        }

        if (!await breakers.ExistsAsync(name, cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No breaker has this name.");
        }

        await breakers.ControlAsync(name, action, cancellationToken);
        await AuditAsync(new AuditRecord(caller.Actor, auditAction, name, Tenant: null, AuditActions.Succeeded), audit, logs, cancellationToken);
        // The state asked for, as of now: a breaker that lives in other processes (a worker's provider breaker) is applied
        // there once they receive the control message, and the fleet view read here would still show the state before it.
        var state = action == BreakerAction.Isolate ? BreakerState.Isolated : BreakerState.Closed;
        return TypedResults.Ok(new BreakerView(name, ToWire(state), timeProvider.GetUtcNow()));
    }

    /// <summary>
    /// Writes a breaker-control record. Breakers live in Redis, so there is no transaction to share; and an operator
    /// must be able to isolate <c>postgres</c> while PostgreSQL is down, so a record that cannot be stored goes to the
    /// log (with every field) instead of failing the action.
    /// </summary>
    private static async Task AuditAsync(AuditRecord record, AuditTrail audit, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        try
        {
            await audit.AppendAsync(record, cancellationToken);
        }
        catch (Exception ex) when (DependencyUnavailable.IsPostgresFailure(ex) || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Log.AuditNotStored(logs.CreateLogger(typeof(MonitoringApi).FullName!), record.Action, record.Target, record.Actor.ClientId, record.Actor.Tenant,
                record.Outcome, ex.GetType().Name);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7101, EventName = "AuditRecordNotStored", Level = LogLevel.Warning,
            Message = "Audit record not stored (PostgreSQL unavailable: {ErrorType}): {Action} {Target} by {ActorClient} of {ActorTenant}: {Outcome}")]
        public static partial void AuditNotStored(ILogger logger, string action, string target, string actorClient, string? actorTenant, string outcome, string errorType);
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
    /// <summary>The tenant this overview is narrowed to (a tenant admin's); <see langword="null"/> for an operator's fleet view.</summary>
    public string? Tenant { get; init; }

    /// <summary>The body of <c>GET /api/monitoring/commands/{id}</c>: the command's tenant and its status document.</summary>
/// <param name="Tenant">The tenant the command belongs to.</param>
/// <param name="Command">The same document as <c>GET /api/commands/{id}</c> answers its tenant.</param>
internal sealed record MonitoredCommand(string Tenant, CommandView Command);

/// <summary>This instance's rate limiting (operators only).</summary>
    public RateLimitingView? RateLimiting { get; init; }

    /// <summary>The queues: depth, unacked, consumers, rates and recent depths (empty until the first sample).</summary>
    public IReadOnlyList<QueueView> Queues { get; init; } = [];

    /// <summary>The built-in alerts firing now, most severe first (operators only).</summary>
    public IReadOnlyList<AlertView> Alerts { get; init; } = [];

    /// <summary>When the queues and alerts were sampled.</summary>
    public DateTimeOffset SampledAt { get; init; }

    /// <summary>The workers' breaker-aware endpoints, fleet-wide (published through Redis).</summary>
    public IReadOnlyList<EndpointView> Endpoints { get; init; } = [];
}

/// <summary>The body of <c>GET /api/monitoring/commands/{id}</c>: the command's tenant and its status document.</summary>
/// <param name="Tenant">The tenant the command belongs to.</param>
/// <param name="Command">The same document as <c>GET /api/commands/{id}</c> answers its tenant.</param>
internal sealed record MonitoredCommand(string Tenant, CommandView Command);

/// <summary>This instance's rate limiting: requests it refused in the last minute, and whether it is on its local fallback.</summary>
internal sealed record RateLimitingView(long RejectedLastMinute, bool Degraded);

/// <summary>
/// One breaker-aware worker endpoint: <c>running</c>, <c>paused</c> (a dependency's breakers are open:
/// messages wait in the queue), <c>probing</c> (one message tests the dependency) or <c>ramping</c>.
/// </summary>
internal sealed record EndpointView(string Name, string State, DateTimeOffset Since, int ConcurrencyLimit, string? PausedBy);

/// <summary>One breaker as operators see it.</summary>
internal sealed record BreakerView(string Name, string State, DateTimeOffset Since);
