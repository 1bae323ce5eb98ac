using System.Globalization;
using System.IO.Pipelines;
using System.Security.Claims;
using System.Text.Json;
using Messaging.CommandTypes;
using Messaging.Contracts.Commands;
using Messaging.Resilience.Classification;
using Messaging.Store.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Polly.CircuitBreaker;

namespace Messaging.Gateway.Commands;

/// <summary>
/// <c>POST /api/commands/{type}</c>, <c>GET /api/commands/{id}</c> and <c>GET /api/commands</c>.
/// Everything the request can be refused for is checked before the database is touched, so no 4xx
/// ever leaves a row behind. Tenant and client come from the access token only.
/// </summary>
internal static partial class CommandsEndpoints
{
    /// <summary>The largest accepted body, enforced while reading (not left to the server's default limit).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string CommandTimeoutHeader = "Command-Timeout";
    public const string IdempotentReplayedHeader = "Idempotent-Replayed";
    public const string NotBeforeHeader = "Not-Before";
    public const string CallbackUrlHeader = "Callback-Url";

    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    private const int MaxIdempotencyKeyLength = 255;
    private const int MaxTimeoutSeconds = 86_400;

    /// <summary>How far ahead a <c>Not-Before</c> may be.</summary>
    internal static readonly TimeSpan MaxNotBeforeAhead = TimeSpan.FromDays(30);

    /// <summary>How far in the past a <c>Not-Before</c> may be (clocks differ); such a command runs at once.</summary>
    internal static readonly TimeSpan NotBeforeClockSkew = TimeSpan.FromMinutes(5);

    // What a client should wait before retrying while PostgreSQL cannot be reached.
    private const int UnavailableRetryAfterSeconds = 5;

    public static CommandsRoutes MapCommandsEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // The answers of the door (401, 403, 429, 503) are derived from the routes' metadata in the OpenAPI document.
        var group = endpoints.MapGroup("/api/commands").RequireAuthorization(GatewayClaims.CommandsScope).WithTags("Commands");
        // 404 (unknown type) is left out: the OpenAPI document has one literal path per type instead of this route.
        var accepts = group.MapGroup("");
        accepts.MapPost("/{type}", SubmitAsync).WithName("SubmitCommand")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        accepts.MapPost("/batch", SubmitBatchAsync).WithName("SubmitCommandBatch")
            .WithSummary("Submit 1 to 100 commands at once: all are stored in one transaction, or none")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        var reads = group.MapGroup("");
        reads.MapPost("/{id}/cancel", CancelAsync).WithName("CancelCommand")
            .WithSummary("Cancel a command no attempt has started (Accepted, Dispatched or Scheduled)")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        reads.MapGet("/{id}", GetAsync).WithName("GetCommand").WithSummary("A command's status, result or error (404 for unknown ids and other tenants' ids)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        reads.MapGet("", ListAsync).WithName("ListCommands").WithSummary("The tenant's commands, newest first");
        return new CommandsRoutes(group, accepts, reads);
    }

    internal static async Task<Results<Accepted<CommandAccepted>, ValidationProblem, ProblemHttpResult, ForbidHttpResult>> SubmitAsync(
        string type,
        HttpContext context,
        CommandTypeRegistry commandTypes,
        IOptionsMonitor<CommandTypeOptions> typeOptions,
        CommandStore store,
        CommandFallback fallback,
        CallbackUrls callbackUrls,
        IOptionsMonitor<CommandsOptions> options,
        TimeProvider timeProvider,
        CommandMetrics metrics,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        if (!commandTypes.TryGetExact(type, out var descriptor) || !CommandRequests.IsSupported(descriptor))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown command type",
                detail: $"There is no command type '{type}'. Known types: {string.Join(", ", commandTypes.All.Where(CommandRequests.IsSupported).Select(d => d.TypeName))}.");
        }

        if (!TryGetCaller(context.User, out var tenant, out var clientId))
        {
            return TypedResults.Forbid();
        }

        var request = context.Request;
        if (!IsJsonContentType(request.ContentType))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: "Send the command as Content-Type: application/json (UTF-8).");
        }

        var headerErrors = new ValidationErrors();
        var idempotencyKey = ReadIdempotencyKey(request, headerErrors);
        var timeoutSeconds = ReadCommandTimeout(request, headerErrors);
        var current = options.CurrentValue;
        var now = TruncateToMicroseconds(timeProvider.GetUtcNow());
        var notBefore = ReadNotBefore(request, now, headerErrors);
        var callbackUrl = ReadCallbackUrl(request, tenant, callbackUrls, headerErrors);
        if (headerErrors.Count > 0)
        {
            return TypedResults.ValidationProblem(headerErrors.ToDictionary(), title: "Invalid request headers");
        }

        var body = await ReadBodyAsync(request, MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large",
                detail: $"A command body may have at most {MaxBodyBytes} bytes.");
        }

        var read = CommandRequests.Read(descriptor, body, context.RequestServices);
        if (read.IsJsonError)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid JSON",
                detail: read.JsonPath is null
                    ? $"The body is not a JSON object of a {descriptor.TypeName} command."
                    : $"The body is not a JSON object of a {descriptor.TypeName} command (at {read.JsonPath}); unknown properties are not allowed.");
        }

        if (read.Errors is { } errors)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary());
        }

        var command = NewCommandOf(read.Request!, descriptor, tenant, clientId, idempotencyKey, timeoutSeconds, notBefore, callbackUrl, now, typeOptions,
            current);

        SubmitOutcome outcome;
        using (var storeTimeout = new CancellationTokenSource(fallback.Options.StoreTimeout, timeProvider))
        using (var storeToken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, storeTimeout.Token))
        {
            try
            {
                outcome = await store.SubmitAsync(command, storeToken.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (DependencyUnavailable.IsPostgresUnavailable(ex)
                || (ex is OperationCanceledException && storeTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested))
            {
                // PostgreSQL cannot take it: the next durable path is RabbitMQ itself (or 503 when that is down too). Not for a
                // command that must wait for its Not-Before (a message on the queue would run at once), nor for one with a
                // Callback-Url: its callback is queued with its terminal status, on a row the direct path does not write.
                Log.DatabaseUnavailable(loggerFactory.CreateLogger(typeof(CommandsEndpoints)), ex.GetType().Name);
                outcome = notBefore is null && callbackUrl is null
                    ? await fallback.SubmitAsync(command, cancellationToken).ConfigureAwait(false)
                    : new SubmitOutcome.Unavailable(TimeSpan.FromSeconds(UnavailableRetryAfterSeconds));
            }
        }

        switch (outcome)
        {
            case SubmitOutcome.Created created:
                metrics.Accepted(descriptor.TypeName);
                CommandTelemetry.Tag(System.Diagnostics.Activity.Current, created.Response.Id, descriptor.TypeName, tenant);
                return TypedResults.Accepted(created.Response.StatusUrl, created.Response);
            case SubmitOutcome.Unavailable unavailable:
                return Unavailable(context, unavailable.RetryAfter);
            case SubmitOutcome.Replayed replayed:
                Log.IdempotentReplay(loggerFactory.CreateLogger(typeof(CommandsEndpoints)), replayed.Response.Id, tenant);
                context.Response.Headers[IdempotentReplayedHeader] = "true";
                return TypedResults.Accepted(replayed.Response.StatusUrl, replayed.Response);
            case SubmitOutcome.KeyReused:
                Log.IdempotencyKeyReused(loggerFactory.CreateLogger(typeof(CommandsEndpoints)), tenant);
                return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency key reused",
                    detail: "This Idempotency-Key was already used for a different request. Use a new key for a new command.");
            default:
                Log.IdempotencyKeyInFlight(loggerFactory.CreateLogger(typeof(CommandsEndpoints)), tenant);
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Request in progress",
                    detail: "A request with this Idempotency-Key is still being processed. Retry later to get its response.");
        }
    }

    /// <summary>
    /// A checked request as the store takes it: a fresh id, the deadline (the <c>Command-Timeout</c> or the type's default,
    /// counted from the <c>Not-Before</c> when that is later than now), the callback URL and the idempotency record.
    /// </summary>
    private static NewCommand NewCommandOf(CommandRequest request, CommandDescriptor descriptor, string tenant, string clientId, string? idempotencyKey,
        int? timeoutSeconds, DateTimeOffset? notBefore, string? callbackUrl, DateTimeOffset now, IOptionsMonitor<CommandTypeOptions> typeOptions,
        CommandsOptions options)
    {
        var payload = JsonSerializer.Serialize(request, request.GetType(), CommandStore.StoredJson);
        var start = notBefore is { } due && due > now ? due : now;
        return new NewCommand(
            Guid.CreateVersion7(now),
            tenant,
            clientId,
            descriptor,
            request,
            payload,
            Deadline: start + (timeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : typeOptions.Get(descriptor.TypeName).DefaultTimeout),
            now,
            idempotencyKey is null
                ? null
                : new IdempotencyRequest(idempotencyKey, IdempotencyRequest.HashOf(descriptor.TypeName, timeoutSeconds, payload, notBefore, callbackUrl),
                    now + options.IdempotencyRetention),
            notBefore,
            callbackUrl);
    }

    internal static async Task<Results<Accepted<CommandView>, ProblemHttpResult, ForbidHttpResult>> CancelAsync(
        string id, HttpContext context, CommandStore store, CommandStatusCache cache, TimeProvider timeProvider, CommandMetrics metrics,
        ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (!TryGetCaller(context.User, out var tenant, out _))
        {
            return TypedResults.Forbid();
        }

        // Malformed ids, unknown ids and other tenants' ids get the very same answer, as for reads.
        if (!Guid.TryParse(id, out var commandId))
        {
            return CommandNotFound();
        }

        (bool Cancelled, CommandView? View) outcome;
        try
        {
            outcome = await store.CancelAsync(tenant, commandId, TruncateToMicroseconds(timeProvider.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyUnavailable.IsPostgresUnavailable(ex))
        {
            return Unavailable(context, loggerFactory, ex);
        }

        if (outcome.View is not { } view)
        {
            return CommandNotFound();
        }

        cache.Put(tenant, view);
        if (outcome.Cancelled)
        {
            metrics.Completed(view.Type, CommandOutcome.Cancelled, view.Id);
            Log.CommandCancelled(loggerFactory.CreateLogger(typeof(CommandsEndpoints)), view.Id, tenant);
        }

        // Cancelled now or before: the same answer, so a client may retry its cancel.
        return view.Status == CommandStatus.Cancelled
            ? TypedResults.Accepted(CommandAccepted.StatusUrlFor(view.Id), view)
            : TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Command cannot be cancelled",
                detail: view.Status == CommandStatus.Processing
                    ? "An attempt of this command is running; it can no longer be cancelled."
                    : $"This command has ended ({view.Status}); it can no longer be cancelled.",
                extensions: new Dictionary<string, object?> { ["commandStatus"] = view.Status.ToString() });
    }

    internal static async Task<Results<Ok<CommandView>, ProblemHttpResult, ForbidHttpResult>> GetAsync(
        string id, HttpContext context, CommandStore store, CommandStatusCache cache, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (!TryGetCaller(context.User, out var tenant, out _))
        {
            return TypedResults.Forbid();
        }

        // Malformed ids, unknown ids and other tenants' ids get the very same answer.
        if (!Guid.TryParse(id, out var commandId))
        {
            return CommandNotFound();
        }

        CommandView? view;
        try
        {
            view = await store.GetAsync(tenant, commandId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyUnavailable.IsPostgresUnavailable(ex))
        {
            // Degrade, do not fail: the last status this process saw of the caller's own command, marked stale.
            if (cache.TryGet(tenant, commandId, out var cached, out var age))
            {
                Log.StaleStatusServed(loggerFactory.CreateLogger(typeof(CommandsEndpoints)), commandId, (int)age.TotalSeconds);
                context.Response.Headers.Age = ((long)age.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                context.Response.Headers.Warning = StaleWarning;
                context.Response.Headers.CacheControl = "no-store";
                return TypedResults.Ok(cached with { Stale = true });
            }

            return Unavailable(context, loggerFactory, ex);
        }

        if (view is null)
        {
            return CommandNotFound();
        }

        cache.Put(tenant, view);
        return TypedResults.Ok(view);
    }

    internal static async Task<Results<Ok<CommandPage>, ValidationProblem, ProblemHttpResult, ForbidHttpResult>> ListAsync(
        string? status,
        string? type,
        string? limit,
        string? cursor,
        HttpContext context,
        CommandTypeRegistry commandTypes,
        CommandStore store,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        if (!TryGetCaller(context.User, out var tenant, out _))
        {
            return TypedResults.Forbid();
        }

        var errors = new ValidationErrors();
        CommandStatus? statusFilter = null;
        if (!string.IsNullOrEmpty(status))
        {
            statusFilter = ParseStatus(status);
            if (statusFilter is null)
            {
                errors.Add("status", $"Unknown status. Known statuses: {string.Join(", ", Enum.GetNames<CommandStatus>())}.");
            }
        }

        string? typeFilter = null;
        if (!string.IsNullOrEmpty(type))
        {
            if (commandTypes.TryGetExact(type, out var descriptor))
            {
                typeFilter = descriptor.TypeName;
            }
            else
            {
                errors.Add("type", $"Unknown command type. Known types: {string.Join(", ", commandTypes.All.Select(d => d.TypeName))}.");
            }
        }

        var pageSize = DefaultPageSize;
        if (!string.IsNullOrEmpty(limit)
            && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize))
        {
            errors.Add("limit", $"The limit must be a whole number from 1 to {MaxPageSize}.");
        }

        CommandCursor? after = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (CommandCursor.TryDecode(cursor, out var decoded))
            {
                after = decoded;
            }
            else
            {
                errors.Add("cursor", "The cursor is not one this API returned.");
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary());
        }

        try
        {
            return TypedResults.Ok(await store.ListAsync(tenant, new CommandQuery(statusFilter, typeFilter, pageSize, after), cancellationToken)
                .ConfigureAwait(false));
        }
        catch (Exception ex) when (DependencyUnavailable.IsPostgresUnavailable(ex))
        {
            return Unavailable(context, loggerFactory, ex);
        }
    }

    /// <summary>RFC 7234's warning for a stale response (with <c>Age</c> from RFC 9111).</summary>
    internal const string StaleWarning = "110 - \"Response is Stale\"";

    private static ProblemHttpResult Unavailable(HttpContext context, TimeSpan retryAfter)
    {
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable",
            detail: "Commands cannot be accepted right now. Retry after the time given in Retry-After.");
    }

    // Only for what DependencyUnavailable.IsPostgresUnavailable accepts: the database could not be reached (after the
    // pipeline's retries), its breaker is open, or it ran out of time. Anything else (a constraint violation, a SQL
    // error) is a bug and stays a 500.
    private static ProblemHttpResult Unavailable(HttpContext context, ILoggerFactory loggerFactory, Exception exception)
    {
        Log.DatabaseUnavailable(loggerFactory.CreateLogger(typeof(CommandsEndpoints)), exception.GetType().Name);
        var retryAfter = exception is BrokenCircuitException { RetryAfter: { } breakLeft }
            ? Math.Max(1, (int)Math.Ceiling(breakLeft.TotalSeconds))
            : UnavailableRetryAfterSeconds;
        context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable",
            detail: "Commands cannot be stored or read right now. Retry after the time given in Retry-After.");
    }

    private static ProblemHttpResult CommandNotFound() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Command not found");

    private static bool TryGetCaller(ClaimsPrincipal user, out string tenant, out string clientId)
    {
        tenant = GatewayClaims.FirstValue(user, GatewayClaims.Tenant) ?? "";
        clientId = GatewayClaims.FirstValue(user, GatewayClaims.ClientId) ?? "";
        return tenant.Length > 0 && clientId.Length > 0;
    }

    /// <summary><c>application/json</c>, optionally with <c>charset=utf-8</c>; anything else is refused with 415.</summary>
    internal static bool IsJsonContentType(string? contentType)
    {
        // What clients send almost always, answered without parsing (the parser allocates per request).
        if (string.Equals(contentType, "application/json", StringComparison.OrdinalIgnoreCase)
            || string.Equals(contentType, "application/json; charset=utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || !mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var charset = mediaType.Charset;
        return charset.Length == 0 || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>1–255 visible ASCII characters (0x21–0x7E), given once.</summary>
    private static string? ReadIdempotencyKey(HttpRequest request, ValidationErrors errors)
    {
        if (!request.Headers.TryGetValue(IdempotencyKeyHeader, out var values))
        {
            return null;
        }

        var key = values.Count == 1 ? values[0] : null;
        if (!IsValidIdempotencyKey(key))
        {
            errors.Add(IdempotencyKeyHeader, $"The Idempotency-Key must be 1 to {MaxIdempotencyKeyLength} visible ASCII characters, given once.");
            return null;
        }

        return key;
    }

    /// <summary>1–255 visible ASCII characters (0x21–0x7E).</summary>
    private static bool IsValidIdempotencyKey([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? key) =>
        key is { Length: > 0 and <= MaxIdempotencyKeyLength } && !key.Any(c => c is < '!' or > '~');

    /// <summary>Whole seconds from 1 to 86400, given once.</summary>
    private static int? ReadCommandTimeout(HttpRequest request, ValidationErrors errors)
    {
        if (!request.Headers.TryGetValue(CommandTimeoutHeader, out var values))
        {
            return null;
        }

        if (values.Count != 1
            || !int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds is < 1 or > MaxTimeoutSeconds)
        {
            errors.Add(CommandTimeoutHeader, $"The Command-Timeout must be a whole number of seconds from 1 to {MaxTimeoutSeconds}, given once.");
            return null;
        }

        return seconds;
    }

    /// <summary>A callback URL the caller's tenant may call back, given once (see <see cref="CallbackUrls.Check"/>); normalised.</summary>
    private static string? ReadCallbackUrl(HttpRequest request, string tenant, CallbackUrls callbackUrls, ValidationErrors errors)
    {
        if (!request.Headers.TryGetValue(CallbackUrlHeader, out var values))
        {
            return null;
        }

        if (values.Count != 1 || values[0] is not { } value)
        {
            errors.Add(CallbackUrlHeader, "Give the Callback-Url once.");
            return null;
        }

        var url = callbackUrls.Check(value, tenant, out var error);
        if (url is null)
        {
            errors.Add(CallbackUrlHeader, error);
        }

        return url;
    }

    /// <summary>An RFC 3339 time with an offset, given once (see <see cref="TryParseNotBefore"/>).</summary>
    private static DateTimeOffset? ReadNotBefore(HttpRequest request, DateTimeOffset now, ValidationErrors errors)
    {
        if (!request.Headers.TryGetValue(NotBeforeHeader, out var values))
        {
            return null;
        }

        if (values.Count != 1)
        {
            errors.Add(NotBeforeHeader, "Give the Not-Before once.");
            return null;
        }

        if (!TryParseNotBefore(values[0], now, out var notBefore, out var error))
        {
            errors.Add(NotBeforeHeader, error);
            return null;
        }

        return notBefore;
    }

    /// <summary>
    /// A <c>Not-Before</c>: an RFC 3339 date-time with <c>Z</c> or an offset (for example <c>2026-12-08T09:00:00Z</c>), at
    /// most <see cref="MaxNotBeforeAhead"/> ahead of <paramref name="now"/> and not more than
    /// <see cref="NotBeforeClockSkew"/> behind it. Fractions beyond the 7 digits .NET keeps are cut; the result is in UTC,
    /// cut to microseconds as PostgreSQL stores it.
    /// </summary>
    internal static bool TryParseNotBefore(string? value, DateTimeOffset now, out DateTimeOffset notBefore, out string error)
    {
        notBefore = default;
        var match = value is { Length: <= 64 } ? Rfc3339DateTime().Match(value) : null;
        if (match is not { Success: true }
            || !DateTimeOffset.TryParseExact(
                match.Groups["fraction"].Length > 8 ? value!.Remove(match.Groups["fraction"].Index + 8, match.Groups["fraction"].Length - 8) : value,
                ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            error = "The Not-Before must be an RFC 3339 date-time with Z or an offset, for example 2026-12-08T09:00:00Z.";
            return false;
        }

        parsed = TruncateToMicroseconds(parsed);
        if (parsed > now + MaxNotBeforeAhead)
        {
            error = $"The Not-Before may be at most {MaxNotBeforeAhead.TotalDays:0} days ahead.";
            return false;
        }

        if (parsed < now - NotBeforeClockSkew)
        {
            error = $"The Not-Before is in the past (more than {NotBeforeClockSkew.TotalMinutes:0} minutes ago).";
            return false;
        }

        notBefore = parsed;
        error = "";
        return true;
    }

    // 'T' in upper or lower case, as RFC 3339 allows; the fraction's dot is kept in the group for the cut above.
    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?<fraction>\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex Rfc3339DateTime();

    /// <summary>Reads the whole body, or returns null as soon as it is longer than <paramref name="limit"/>.</summary>
    internal static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        PipeReader reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return null;
            }

            if (result.IsCompleted)
            {
                var body = System.Buffers.BuffersExtensions.ToArray(buffer);
                reader.AdvanceTo(buffer.End);
                return body;
            }

            // Consume nothing yet, but ask for more: the pipe keeps the bytes until the body is complete.
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static CommandStatus? ParseStatus(string value)
    {
        foreach (var candidate in Enum.GetValues<CommandStatus>())
        {
            if (string.Equals(candidate.ToString(), value, StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }

        return null;
    }

    private static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);

    private static partial class Log
    {
        [LoggerMessage(EventId = 2101, EventName = "IdempotentReplay", Level = LogLevel.Information,
            Message = "Replayed the first response for command {CommandId} of tenant {Tenant} (same Idempotency-Key, same request)")]
        public static partial void IdempotentReplay(ILogger logger, Guid commandId, string tenant);

        [LoggerMessage(EventId = 2102, EventName = "IdempotencyKeyReused", Level = LogLevel.Warning,
            Message = "Refused a request of tenant {Tenant}: its Idempotency-Key was used for a different request")]
        public static partial void IdempotencyKeyReused(ILogger logger, string tenant);

        [LoggerMessage(EventId = 2103, EventName = "IdempotencyKeyInFlight", Level = LogLevel.Information,
            Message = "Refused a request of tenant {Tenant}: a request with the same Idempotency-Key is in flight")]
        public static partial void IdempotencyKeyInFlight(ILogger logger, string tenant);

        // The exception's kind only: its message can name hosts.
        [LoggerMessage(EventId = 2104, EventName = "CommandsDatabaseUnavailable", Level = LogLevel.Warning,
            Message = "PostgreSQL is unavailable for the commands API ({FailureKind})")]
        public static partial void DatabaseUnavailable(ILogger logger, string failureKind);

        [LoggerMessage(EventId = 2107, EventName = "CommandCancelled", Level = LogLevel.Information,
            Message = "Command {CommandId} of tenant {Tenant} was cancelled by its client")]
        public static partial void CommandCancelled(ILogger logger, Guid commandId, string tenant);

        [LoggerMessage(EventId = 2106, EventName = "StaleCommandStatusServed", Level = LogLevel.Information,
            Message = "PostgreSQL is unavailable: served the cached status of command {CommandId}, {AgeSeconds} s old, marked stale")]
        public static partial void StaleStatusServed(ILogger logger, Guid commandId, int ageSeconds);
    }
}
