using System.Security.Claims;
using Messaging.Contracts.Commands;
using Messaging.Gateway.Auth;
using Messaging.Resilience.Breakers;
using Messaging.Store.Audit;
using Messaging.Store.DeadLetters;
using Messaging.Resilience.Routes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Messaging.Gateway.DeadLetters;

/// <summary>
/// Redrive: one command (<c>POST /api/commands/{id}/redrive</c>, the caller's tenant) or in bulk
/// (<c>POST /api/monitoring/dead-letters/redrive</c>), and the list of dead letters: scope admin for the token's own
/// tenant, scope operator for every tenant (and the letters without one).
/// A redrive is refused while every endpoint of the command's provider has its breaker open: the
/// commands would only come back. Every redriven command gets a fresh deadline (<see cref="RedriveDeadline"/>): the
/// request's <c>deadline</c>, or its type's default timeout.
/// </summary>
internal static class DeadLettersApi
{
    public static IEndpointRouteBuilder MapDeadLettersApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/commands/{id}/redrive", RedriveOneAsync)
            .RequireAuthorization(GatewayClaims.CommandsScope)
            .WithName("RedriveCommand")
            .WithTags("Commands")
            .WithSummary("Send a dead-lettered command of the tenant back through the outbox, once, with a fresh deadline")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithResilience("commands");
        var admin = endpoints.MapGroup("/api/monitoring/dead-letters").RequireAuthorization(GatewayClaims.AdminScope).WithResilience("monitoring")
            .WithTags("Dead letters");
        admin.MapGet("/", ListAsync).WithName("ListDeadLetters").WithSummary("Stored dead letters, newest first")
            .ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapGet("/{id:long}", GetAsync).WithName("GetDeadLetter")
            .WithSummary("One stored dead letter: reason, attempts, body and the headers safe to show (404 for unknown ids and other tenants')")
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPost("/redrive", RedriveBulkAsync).WithName("RedriveDeadLetters").WithSummary("Redrive the waiting dead letters that match a filter")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return endpoints;
    }

    private static async Task<Results<Accepted<RedriveAccepted>, ProblemHttpResult>> RedriveOneAsync(
        string id, RedriveRequest? request, ClaimsPrincipal user, CommandTypeRegistry commandTypes, DeadLetterStore store, SharedBreakerStates breakers,
        NpgsqlDataSource dataSource, [AsParameters] FreshDeadlines deadlines, CancellationToken cancellationToken)
    {
        if (!deadlines.TryGet(request?.Deadline, out var deadline, out var invalid))
        {
            return invalid;
        }

        var tenant = user.FindFirstValue(GatewayClaims.Tenant);
        if (!Guid.TryParse(id, out var commandId) || tenant is null)
        {
            return NotFound();
        }

        string? type;
        string? status;
        await using (var lookup = dataSource.CreateCommand("SELECT type, status FROM commands WHERE id = @id AND tenant = @tenant"))
        {
            lookup.Parameters.AddWithValue("id", commandId);
            lookup.Parameters.AddWithValue("tenant", tenant);
            await using var reader = await lookup.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return NotFound();
            }

            type = reader.GetString(0);
            status = reader.GetString(1);
        }

        if (status != nameof(CommandStatus.DeadLettered))
        {
            // Not "status": that member is the problem's HTTP status (RFC 9457), and a second one made the body ambiguous JSON.
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Only a dead-lettered command can be redriven.",
                extensions: new Dictionary<string, object?> { ["commandStatus"] = status });
        }

        if (commandTypes.TryGet(type, out var descriptor) && ProviderDown(descriptor, await breakers.FleetSnapshotAsync(cancellationToken)) is { } down)
        {
            return down;
        }

        var actor = new AuditActor(user.FindFirstValue(GatewayClaims.ClientId) ?? "unknown", tenant);
        var result = await store.RedriveAsync(new DeadLetterFilter(CommandId: commandId, Tenant: tenant), actor, 1, TimeSpan.Zero, deadline, cancellationToken);
        return result.Redriven == 1
            ? TypedResults.Accepted($"/api/commands/{commandId}", new RedriveAccepted(1, 0))
            : TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The command has already been redriven.");
    }

    private static async Task<Results<Ok<IReadOnlyList<DeadLetterView>>, ProblemHttpResult>> ListAsync(
        string? type, string? tenant, DateTimeOffset? from, DateTimeOffset? to, int? limit, bool? includeRedriven, ClaimsPrincipal user, DeadLetterStore store,
        CancellationToken cancellationToken)
    {
        if (!OperationsCaller.From(user).TryNarrow(tenant, out var narrowed))
        {
            return OperationsCaller.OtherTenant();
        }

        return TypedResults.Ok(await store.ListAsync(new DeadLetterFilter(null, type, narrowed, from, to), includeRedriven ?? false,
            Math.Clamp(limit ?? 100, 1, 1000), cancellationToken));
    }

    private static async Task<Results<Ok<DeadLetterDetailView>, ProblemHttpResult>> GetAsync(
        long id, ClaimsPrincipal user, DeadLetterStore store, CancellationToken cancellationToken)
    {
        // A tenant admin reads its own tenant's; another tenant's id gets the same 404 as an unknown one.
        var caller = OperationsCaller.From(user);
        var detail = await store.GetAsync(id, caller.IsOperator ? null : caller.Tenant, cancellationToken);
        return detail is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Dead letter not found")
            : TypedResults.Ok(DeadLetterDetailView.From(detail));
    }

    private static async Task<Results<Accepted<RedriveAccepted>, ProblemHttpResult>> RedriveBulkAsync(
        BulkRedriveRequest request, ClaimsPrincipal user, CommandTypeRegistry commandTypes, DeadLetterStore store, SharedBreakerStates breakers, AuditTrail audit,
        IOptions<RedriveOptions> options, [AsParameters] FreshDeadlines deadlines, CancellationToken cancellationToken)
    {
        // A tenant admin redrives its own tenant's dead letters; only an operator redrives across tenants.
        var caller = OperationsCaller.From(user);
        if (!caller.TryNarrow(request.Tenant, out var tenant))
        {
            return OperationsCaller.OtherTenant();
        }

        if (request.Type is not null && !commandTypes.TryGetExact(request.Type, out _))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unknown command type.");
        }

        if (request.From is { } from && request.To is { } to && from >= to)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "'from' must be before 'to'.");
        }

        if (!deadlines.TryGet(request.Deadline, out var deadline, out var invalid))
        {
            return invalid;
        }

        // One read of the fleet's breakers (Redis) for every matching type, not one per type.
        var fleet = await breakers.FleetSnapshotAsync(cancellationToken);
        foreach (var command in commandTypes.All.Where(c => request.Type is null || string.Equals(c.TypeName, request.Type, StringComparison.Ordinal)))
        {
            if (ProviderDown(command, fleet) is { } down)
            {
                await audit.AppendAsync(new AuditRecord(caller.Actor, AuditActions.DeadLettersRedrive, "dead-letters", tenant, AuditActions.Refused,
                    new { request.CommandId, request.Type, request.From, request.To, ProviderDown = command.Provider }), cancellationToken);
                return down;
            }
        }

        var limit = Math.Clamp(request.Limit ?? options.Value.MaxPerRequest, 1, options.Value.MaxPerRequest);
        var result = await store.RedriveAsync(new DeadLetterFilter(request.CommandId, request.Type, tenant, request.From, request.To),
            caller.Actor, limit, options.Value.Spacing, deadline, cancellationToken);
        return TypedResults.Accepted("/api/monitoring/dead-letters", new RedriveAccepted(result.Redriven, result.Skipped));
    }

    private static ProblemHttpResult? ProviderDown(CommandDescriptor descriptor, IReadOnlyList<BreakerSnapshot> fleet)
    {
        var endpoints = fleet.Where(b => b.Name.StartsWith(descriptor.Provider + "@", StringComparison.Ordinal)).ToList();
        if (endpoints.Count == 0 || endpoints.Any(b => b.State is BreakerState.Closed or BreakerState.HalfOpen))
        {
            return null;
        }

        return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict,
            title: $"The {descriptor.Provider} provider's breakers are open: redrive after it recovers.",
            extensions: new Dictionary<string, object?> { ["provider"] = descriptor.Provider });
    }

    private static ProblemHttpResult NotFound() => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Command not found");
}

/// <summary>The body of a bulk redrive request, every field optional: all but <c>deadline</c> narrow it.</summary>
/// <param name="Type">Only dead letters of this command type.</param>
/// <param name="Tenant">Only this tenant's (an operator's choice; a tenant admin may name only its own).</param>
/// <param name="From">Only dead letters stored at or after this time.</param>
/// <param name="To">Only dead letters stored before this time.</param>
/// <param name="Limit">At most this many (held to <c>DeadLetters:Redrive:MaxPerRequest</c>).</param>
/// <param name="Deadline">
/// The fresh deadline of every redriven command (RFC 3339, in the future, at most 30 days ahead); without it, each
/// command's type's default timeout from when it is sent again.
/// </param>
/// <param name="CommandId">Only the dead letter of this command (the redrive of one dead letter, as /monitor's detail does).</param>
internal sealed record BulkRedriveRequest(
    string? Type = null, string? Tenant = null, DateTimeOffset? From = null, DateTimeOffset? To = null, int? Limit = null, DateTimeOffset? Deadline = null,
    Guid? CommandId = null);

/// <summary>The optional body of a single redrive (existing clients send none).</summary>
/// <param name="Deadline">
/// The command's fresh deadline (RFC 3339, in the future, at most 30 days ahead); without it, its type's default
/// timeout from now.
/// </param>
internal sealed record RedriveRequest(DateTimeOffset? Deadline = null);

/// <summary>How many dead letters were put back on the path, and how many could not be (unreadable).</summary>
internal sealed record RedriveAccepted(int Redriven, int Skipped);
