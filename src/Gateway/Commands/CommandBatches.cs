using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Messaging.CommandTypes;
using Messaging.Contracts.Commands;
using Messaging.Gateway.RateLimiting;
using Messaging.Resilience.Classification;
using Messaging.Store.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Commands;

/// <summary>The body of <c>POST /api/commands/batch</c>.</summary>
/// <param name="Items">1 to <see cref="CommandsEndpoints.MaxBatchItems"/> commands, stored all or none.</param>
internal sealed record CommandBatchRequest(IReadOnlyList<CommandBatchItem>? Items);

/// <summary>One command of a batch: what a single submit says in its path, headers and body.</summary>
/// <param name="Type">The command type (as in <c>POST /api/commands/{type}</c>).</param>
/// <param name="Body">The command's JSON object (as the single submit's body).</param>
/// <param name="IdempotencyKey">As the <c>Idempotency-Key</c> header; unique within the batch.</param>
/// <param name="NotBefore">As the <c>Not-Before</c> header.</param>
/// <param name="Timeout">As the <c>Command-Timeout</c> header, in seconds.</param>
/// <param name="CallbackUrl">As the <c>Callback-Url</c> header.</param>
internal sealed record CommandBatchItem(string? Type, JsonElement? Body, string? IdempotencyKey, string? NotBefore, int? Timeout, string? CallbackUrl = null);

/// <summary>The 202 body of a batch: one entry per item, in the request's order.</summary>
internal sealed record CommandBatchAccepted(IReadOnlyList<CommandBatchItemAccepted> Items);

/// <summary>One accepted item: the single submit's 202 body, and whether it is the first answer of its key again.</summary>
internal sealed record CommandBatchItemAccepted(
    Guid Id,
    string Type,
    [property: JsonConverter(typeof(JsonStringEnumConverter<CommandStatus>))] CommandStatus Status,
    string StatusUrl,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AcceptedVia,
    bool Replayed);

/// <summary><c>POST /api/commands/batch</c>.</summary>
internal static partial class CommandsEndpoints
{
    /// <summary>The most items in one batch.</summary>
    public const int MaxBatchItems = 100;

    /// <summary>The largest batch body.</summary>
    public const int MaxBatchBodyBytes = 1024 * 1024;

    // The single submit's strict reading, with room for the envelope: the object, its items array and each item.
    private static readonly JsonSerializerOptions BatchReadOptions = new(CommandRequests.ReadOptions)
    {
        MaxDepth = CommandRequests.ReadOptions.MaxDepth + 3,
    };

    /// <summary>
    /// Checks every item first (as a single submit checks its request), then stores them in one transaction, all or none,
    /// and answers their ids in order. Items are counted against the tenant's rate limit one by one: the middleware takes
    /// one permit for the request and this takes the rest before any item is read. No direct-publish fallback: while
    /// PostgreSQL is down a batch answers 503.
    /// </summary>
    internal static async Task<Results<Accepted<CommandBatchAccepted>, ValidationProblem, ProblemHttpResult, ForbidHttpResult>> SubmitBatchAsync(
        HttpContext context,
        CommandTypeRegistry commandTypes,
        IOptionsMonitor<CommandTypeOptions> typeOptions,
        CommandStore store,
        CommandFallback fallback,
        TenantPermits permits,
        CallbackUrls callbackUrls,
        IOptionsMonitor<CommandsOptions> options,
        TimeProvider timeProvider,
        CommandMetrics metrics,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        if (!TryGetCaller(context.User, out var tenant, out var clientId))
        {
            return TypedResults.Forbid();
        }

        var request = context.Request;
        if (!IsJsonContentType(request.ContentType))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: "Send the batch as Content-Type: application/json (UTF-8).");
        }

        var body = await ReadBodyAsync(request, MaxBatchBodyBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large",
                detail: $"A batch may have at most {MaxBatchBodyBytes} bytes.");
        }

        CommandBatchRequest? batch;
        try
        {
            batch = JsonSerializer.Deserialize<CommandBatchRequest>(body, BatchReadOptions);
        }
        catch (JsonException ex)
        {
            // The path is the client's own input; the message would name CLR types, so it is not passed on.
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid JSON",
                detail: ex.Path is { Length: > 1 } path
                    ? $"The body is not a batch of commands (at {path}); unknown properties are not allowed."
                    : "The body is not a batch of commands: {\"items\": [{\"type\": …, \"body\": {…}}, …]}.");
        }

        if (batch?.Items is not { Count: > 0 and <= MaxBatchItems } items)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                ["items"] = [$"A batch has 1 to {MaxBatchItems} items."],
            }, title: "Invalid batch");
        }

        // Charged before the items are read: a batch costs its items, accepted or not.
        var capacity = permits.Capacity(tenant);
        if (items.Count > capacity)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                ["items"] = [$"This tenant's rate limit grants at most {capacity} commands at once; send fewer items per batch."],
            }, title: "Invalid batch");
        }

        if (items.Count > 1 && await permits.AcquireAsync(tenant, items.Count - 1, cancellationToken).ConfigureAwait(false) is { IsAllowed: false } refused)
        {
            return RateLimitRejection.Result(context, refused);
        }

        var now = TruncateToMicroseconds(timeProvider.GetUtcNow());
        var current = options.CurrentValue;
        var errors = new ValidationErrors();
        var failed = new SortedSet<int>();
        var commands = new List<NewCommand>(items.Count);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            if (ReadItem(items[i], $"items[{i}]", now, tenant, commandTypes, callbackUrls, context.RequestServices, keys, errors) is { } item)
            {
                commands.Add(NewCommandOf(item.Request, item.Descriptor, tenant, clientId, item.Key, item.Timeout, item.NotBefore, item.CallbackUrl, now,
                    typeOptions, current));
            }
            else
            {
                failed.Add(i);
            }
        }

        if (failed.Count > 0)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "Invalid batch items",
                detail: "Nothing of the batch was stored. errors names each failing item (items[index].field).",
                extensions: new Dictionary<string, object?> { ["failedItems"] = failed.ToArray() });
        }

        SubmitOutcome[] outcomes;
        using (var storeTimeout = new CancellationTokenSource(fallback.Options.StoreTimeout, timeProvider))
        using (var storeToken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, storeTimeout.Token))
        {
            try
            {
                outcomes = await store.SubmitBatchAsync(commands, storeToken.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (DependencyUnavailable.IsPostgresUnavailable(ex)
                || (ex is OperationCanceledException && storeTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested))
            {
                Log.DatabaseUnavailable(loggerFactory.CreateLogger(typeof(CommandsEndpoints)), ex.GetType().Name);
                return Unavailable(context, TimeSpan.FromSeconds(UnavailableRetryAfterSeconds));
            }
        }

        if (IndexesOf<SubmitOutcome.KeyInFlight>(outcomes) is { Length: > 0 } inFlight)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Request in progress",
                detail: "A request with the Idempotency-Key of the items in failedItems is still being processed. Nothing of the batch was stored; retry later.",
                extensions: new Dictionary<string, object?> { ["failedItems"] = inFlight });
        }

        if (IndexesOf<SubmitOutcome.KeyReused>(outcomes) is { Length: > 0 } reused)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency key reused",
                detail: "The Idempotency-Key of the items in failedItems was already used for a different request. Nothing of the batch was stored.",
                extensions: new Dictionary<string, object?> { ["failedItems"] = reused });
        }

        var accepted = new CommandBatchItemAccepted[outcomes.Length];
        for (var i = 0; i < outcomes.Length; i++)
        {
            var (response, replayed) = outcomes[i] switch
            {
                SubmitOutcome.Created created => (created.Response, false),
                SubmitOutcome.Replayed replay => (replay.Response, true),
                var other => throw new InvalidOperationException($"A stored batch item ended {other.GetType().Name}."),
            };
            accepted[i] = new CommandBatchItemAccepted(response.Id, response.Type, response.Status, response.StatusUrl, response.AcceptedVia, replayed);
            if (!replayed)
            {
                metrics.Accepted(response.Type);
            }
        }

        Log.BatchAccepted(loggerFactory.CreateLogger(typeof(CommandsEndpoints)), accepted.Count(a => !a.Replayed), accepted.Count(a => a.Replayed), tenant);
        return TypedResults.Accepted((string?)null, new CommandBatchAccepted(accepted));
    }

    /// <summary>One item, checked as a single submit checks its path, headers and body; null (with errors) when it fails.</summary>
    private static BatchItem? ReadItem(CommandBatchItem item, string prefix, DateTimeOffset now, string tenant, CommandTypeRegistry commandTypes,
        CallbackUrls callbackUrls, IServiceProvider services, HashSet<string> keys, ValidationErrors errors)
    {
        var before = errors.Count;
        CommandDescriptor? descriptor = null;
        if (item.Type is null || !commandTypes.TryGetExact(item.Type, out descriptor) || !CommandRequests.IsSupported(descriptor))
        {
            errors.Add($"{prefix}.type", $"There is no command type '{item.Type}'. Known types: "
                + string.Join(", ", commandTypes.All.Where(CommandRequests.IsSupported).Select(d => d.TypeName)) + ".");
            descriptor = null;
        }

        if (item.IdempotencyKey is { } key)
        {
            if (!IsValidIdempotencyKey(key))
            {
                errors.Add($"{prefix}.idempotencyKey", $"The idempotencyKey must be 1 to {MaxIdempotencyKeyLength} visible ASCII characters.");
            }
            else if (!keys.Add(key))
            {
                errors.Add($"{prefix}.idempotencyKey", "Another item of this batch has the same idempotencyKey.");
            }
        }

        DateTimeOffset? notBefore = null;
        if (item.NotBefore is { } notBeforeText)
        {
            if (TryParseNotBefore(notBeforeText, now, out var parsed, out var error))
            {
                notBefore = parsed;
            }
            else
            {
                errors.Add($"{prefix}.notBefore", error.Replace("The Not-Before", "The notBefore", StringComparison.Ordinal));
            }
        }

        string? callbackUrl = null;
        if (item.CallbackUrl is { } callbackText)
        {
            callbackUrl = callbackUrls.Check(callbackText, tenant, out var error);
            if (callbackUrl is null)
            {
                errors.Add($"{prefix}.callbackUrl", error);
            }
        }

        if (item.Timeout is < 1 or > MaxTimeoutSeconds)
        {
            errors.Add($"{prefix}.timeout", $"The timeout must be a whole number of seconds from 1 to {MaxTimeoutSeconds}.");
        }

        CommandRequest? request = null;
        if (item.Body is not { ValueKind: JsonValueKind.Object } body)
        {
            errors.Add($"{prefix}.body", "Each item needs a body: the command's JSON object.");
        }
        else if (JsonMarshal.GetRawUtf8Value(body).Length > MaxBodyBytes)
        {
            errors.Add($"{prefix}.body", $"A command body may have at most {MaxBodyBytes} bytes.");
        }
        else if (descriptor is not null)
        {
            var read = CommandRequests.Read(descriptor, JsonMarshal.GetRawUtf8Value(body), services);
            if (read.IsJsonError)
            {
                errors.Add($"{prefix}.body", read.JsonPath is null
                    ? $"The body is not a JSON object of a {descriptor.TypeName} command."
                    : $"The body is not a JSON object of a {descriptor.TypeName} command (at {read.JsonPath}); unknown properties are not allowed.");
            }
            else if (read.Errors is { } fieldErrors)
            {
                foreach (var (field, messages) in fieldErrors.ToDictionary())
                {
                    foreach (var message in messages)
                    {
                        errors.Add($"{prefix}.body.{field}", message);
                    }
                }
            }
            else
            {
                request = read.Request;
            }
        }

        return errors.Count == before && descriptor is not null && request is not null
            ? new BatchItem(descriptor, request, item.IdempotencyKey, item.Timeout, notBefore, callbackUrl)
            : null;
    }

    private static int[] IndexesOf<TOutcome>(SubmitOutcome[] outcomes)
        where TOutcome : SubmitOutcome =>
        [.. outcomes.Select((outcome, index) => (outcome, index)).Where(o => o.outcome is TOutcome).Select(o => o.index)];

    /// <summary>A checked item.</summary>
    private sealed record BatchItem(CommandDescriptor Descriptor, CommandRequest Request, string? Key, int? Timeout, DateTimeOffset? NotBefore,
        string? CallbackUrl);

    private static partial class Log
    {
        [LoggerMessage(EventId = 2111, EventName = "CommandBatchAccepted", Level = LogLevel.Information,
            Message = "Accepted a batch for tenant {Tenant}: {Created} new commands, {Replayed} replayed")]
        public static partial void BatchAccepted(ILogger logger, int created, int replayed, string tenant);
    }
}
