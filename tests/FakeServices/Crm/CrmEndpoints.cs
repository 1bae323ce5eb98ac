using System.Text.Json;
using Messaging.FakeServices.Ledger;
using Messaging.FakeServices.Providers;

namespace Messaging.FakeServices.Crm;

/// <summary>
/// The CRM provider: a small generic HTTP API (contacts and their notes) that a gateway user declares in
/// configuration alone. <c>PUT /v1/contacts/{contactId}</c>, <c>POST /v1/contacts/{contactId}/notes</c> and
/// <c>DELETE /v1/contacts/{contactId}</c>, each with an idempotency key; authentication by mode (Basic,
/// API key, bearer or none). Every request with the right credentials is recorded for the control API.
/// </summary>
internal static partial class CrmEndpoints
{
    /// <summary>The size of the <c>padding</c> of the answers for <see cref="FakeServicesDefaults.BigContactId"/>: 24 KiB.</summary>
    public const int BigPaddingLength = 24 * 1024;

    private static readonly string BigPadding = new('x', BigPaddingLength);

    public static IEndpointRouteBuilder MapCrmProvider(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPut("/v1/contacts/{contactId}", (HttpContext http, ProviderLedger ledger, CrmBackend backend, TimeProvider time, ILoggerFactory loggers) =>
                Handle(CrmOperation.PutContact, http, ledger, backend, time, loggers))
            .AddCrmFilters()
            .WithName("CrmPutContact");
        endpoints.MapPost("/v1/contacts/{contactId}/notes", (HttpContext http, ProviderLedger ledger, CrmBackend backend, TimeProvider time, ILoggerFactory loggers) =>
                Handle(CrmOperation.AddNote, http, ledger, backend, time, loggers))
            .AddCrmFilters()
            .WithName("CrmAddNote");
        endpoints.MapDelete("/v1/contacts/{contactId}", (HttpContext http, ProviderLedger ledger, CrmBackend backend, TimeProvider time, ILoggerFactory loggers) =>
                Handle(CrmOperation.DeleteContact, http, ledger, backend, time, loggers))
            .AddCrmFilters()
            .WithName("CrmDeleteContact");
        return endpoints;
    }

    // The recording filter runs first (outermost): it reads the body and the credentials before any
    // fault, and records the answer the provider filter decided.
    private static RouteHandlerBuilder AddCrmFilters(this RouteHandlerBuilder route) => route
        .AddEndpointFilter(new CrmRequestFilter())
        .AddEndpointFilter(new ProviderRequestFilter(ProviderKind.Crm, tokenEndpoint: false));

    private static IResult Handle(CrmOperation operation, HttpContext http, ProviderLedger ledger, CrmBackend backend, TimeProvider time,
        ILoggerFactory loggers)
    {
        var call = ProviderCall.Of(http);
        var request = CrmRequest.Of(http);
        if (!request.Authorized)
        {
            if (CrmAuthenticator.Challenge(request.AuthMode) is { } challenge)
            {
                http.Response.Headers.WWWAuthenticate = challenge;
            }

            return ProviderResults.Error(StatusCodes.Status401Unauthorized, "unauthorized", "The credentials are missing or wrong.");
        }

        if (ProviderHeaders.IdempotencyKeyProblem(http.Request, call.IdempotencyKey) is { } keyProblem)
        {
            return keyProblem;
        }

        var (received, problem) = ReadBody(request.Body, optional: operation == CrmOperation.DeleteContact);
        if (problem is not null)
        {
            return ProviderResults.Error(StatusCodes.Status400BadRequest, "invalid_request", problem);
        }

        var fingerprint = $"{http.Request.Method}|{request.ContactId}|{request.Body.Trim()}";
        var result = ledger.For(ProviderKind.Crm).Execute(call.IdempotencyKey!, call.Instance.Name, fingerprint, time.GetUtcNow(),
            () => Run(operation, request.ContactId, received, backend));
        call.Replayed = result.Replayed;

        var logger = loggers.CreateLogger(typeof(CrmEndpoints));
        if (result.Replayed)
        {
            Log.Replayed(logger, call.IdempotencyKey!, call.Instance.Name, result.Outcome.Status);
        }
        else if (result.Outcome.Kind == OutcomeKind.Effect)
        {
            Log.Done(logger, operation, result.Outcome.EffectId!, call.IdempotencyKey!, call.Instance.Name);
        }
        else
        {
            Log.Refused(logger, operation, call.IdempotencyKey!, call.Instance.Name, result.Outcome.Status);
        }

        return result.Outcome.Body is { } body
            ? Results.Json(body, statusCode: result.Outcome.Status)
            : Results.StatusCode(result.Outcome.Status);
    }

    /// <summary>Runs under the ledger's lock, once per idempotency key.</summary>
    private static ProviderOutcome Run(CrmOperation operation, string contactId, JsonElement? received, CrmBackend backend)
    {
        if (string.Equals(contactId, FakeServicesDefaults.RejectedContactId, StringComparison.Ordinal))
        {
            return new ProviderOutcome(OutcomeKind.Refusal, StatusCodes.Status422UnprocessableEntity,
                new CrmErrorResponse(new CrmError("invalid_contact", "The CRM refuses this contact.")), EffectId: null);
        }

        if (string.Equals(contactId, FakeServicesDefaults.GoneContactId, StringComparison.Ordinal))
        {
            return new ProviderOutcome(OutcomeKind.Refusal, StatusCodes.Status404NotFound,
                new ProviderError("not_found", "The contact does not exist."), EffectId: null);
        }

        var big = string.Equals(contactId, FakeServicesDefaults.BigContactId, StringComparison.Ordinal);
        var padding = big ? BigPadding : null;
        switch (operation)
        {
            case CrmOperation.PutContact:
                var version = backend.Upsert(contactId);
                return new ProviderOutcome(OutcomeKind.Effect, StatusCodes.Status200OK,
                    new ContactResponse(contactId, version, received!.Value, padding), $"contact:{contactId}:v{version}");

            case CrmOperation.AddNote:
                var noteId = "note_" + Guid.NewGuid().ToString("N");
                return new ProviderOutcome(OutcomeKind.Effect, StatusCodes.Status201Created, new NoteResponse(noteId, contactId, padding), noteId);

            default:
                backend.Delete(contactId);
                return big
                    ? new ProviderOutcome(OutcomeKind.Effect, StatusCodes.Status200OK, new DeletedResponse(contactId, Deleted: true, BigPadding), $"deleted:{contactId}")
                    : new ProviderOutcome(OutcomeKind.Effect, StatusCodes.Status204NoContent, Body: null, $"deleted:{contactId}");
        }
    }

    /// <summary>The body as a JSON object; null when it is empty and <paramref name="optional"/>; else a problem.</summary>
    private static (JsonElement? Body, string? Problem) ReadBody(string text, bool optional)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return optional ? (null, null) : (null, "A JSON object body is required.");
        }

        JsonElement body;
        try
        {
            body = JsonSerializer.Deserialize<JsonElement>(text, ProviderJson.Options);
        }
        catch (JsonException)
        {
            return (null, "The body is not valid JSON.");
        }

        return body.ValueKind == JsonValueKind.Object ? (body, null) : (null, "The body must be a JSON object.");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 700, EventName = "CrmDone", Level = LogLevel.Debug, Message = "CRM {Operation} done ({EffectId}) for key {IdempotencyKey} on {Instance}")]
        public static partial void Done(ILogger logger, CrmOperation operation, string effectId, string idempotencyKey, string instance);

        [LoggerMessage(EventId = 701, EventName = "CrmRefused", Level = LogLevel.Debug, Message = "CRM {Operation} for key {IdempotencyKey} refused with {Status} on {Instance}")]
        public static partial void Refused(ILogger logger, CrmOperation operation, string idempotencyKey, string instance, int status);

        [LoggerMessage(EventId = 702, EventName = "CrmReplayed", Level = LogLevel.Debug, Message = "CRM key {IdempotencyKey} replayed on {Instance} with status {Status}")]
        public static partial void Replayed(ILogger logger, string idempotencyKey, string instance, int status);
    }
}

/// <summary>The CRM routes.</summary>
internal enum CrmOperation
{
    PutContact,
    AddNote,
    DeleteContact,
}
