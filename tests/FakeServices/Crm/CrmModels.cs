using System.Text.Json;
using System.Text.Json.Serialization;
using Messaging.FakeServices.Instances;

namespace Messaging.FakeServices.Crm;

/// <summary>One request the CRM provider accepted (its credentials were right): an entry of <c>GET /control/crm/requests</c>.</summary>
/// <param name="Sequence">Increasing number, in order of arrival.</param>
/// <param name="Instance">The instance that received it.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="RawPath">The path exactly as sent on the wire (escaped form, for example <c>/v1/contacts/a%2Fb%20c</c>).</param>
/// <param name="RawQuery">The query string as sent, without the <c>?</c>; null when there was none.</param>
/// <param name="ContactId">The contact id: the raw path segment, fully unescaped (<c>a/b c</c>).</param>
/// <param name="Headers">The headers the gateway is expected to send (no secrets).</param>
/// <param name="Body">The body as UTF-8 text; empty when there was none.</param>
/// <param name="Status">The status answered (0: connection reset; 499: the client went away).</param>
/// <param name="Fault">The injected fault that decided the answer, or null (as in the request log).</param>
/// <param name="FaultAfterEffect">True when the fault replaced the answer after the request took effect.</param>
/// <param name="Replayed">True when the answer was the stored answer of an earlier request with the same key.</param>
/// <param name="ReceivedAt">When it arrived (before any injected latency), from the TimeProvider.</param>
internal sealed record CrmRecordedRequest(
    long Sequence,
    string Instance,
    string Method,
    string RawPath,
    string? RawQuery,
    string ContactId,
    CrmRecordedHeaders Headers,
    string Body,
    int Status,
    string? Fault,
    bool FaultAfterEffect,
    bool Replayed,
    DateTimeOffset ReceivedAt);

/// <summary>The recorded headers of a CRM request. Several values of one header are joined with <c>", "</c>.</summary>
/// <param name="ContentType">The <c>Content-Type</c>, or null.</param>
/// <param name="IdempotencyKey">The <c>Idempotency-Key</c> as sent (valid or not), or null.</param>
/// <param name="Traceparent">The W3C <c>traceparent</c>, or null.</param>
/// <param name="AuthorizationScheme">
/// The scheme of <c>Authorization</c> (<c>Basic</c>, <c>Bearer</c>...), never its credentials; null when absent,
/// empty when the value is a single token (no scheme: it may be a bare secret).
/// </param>
/// <param name="ApiKeyPresent">Whether an <c>X-Api-Key</c> header was sent (its value is never kept).</param>
internal sealed record CrmRecordedHeaders(
    string? ContentType,
    string? IdempotencyKey,
    string? Traceparent,
    string? AuthorizationScheme,
    bool ApiKeyPresent);

/// <summary>What <see cref="CrmRequestFilter"/> learned about a CRM request, for the handler (a request feature).</summary>
internal sealed record CrmRequest(CrmAuthMode AuthMode, bool Authorized, string ContactId, string Body)
{
    public static CrmRequest Of(HttpContext context) =>
        context.Features.Get<CrmRequest>() ?? throw new InvalidOperationException("CRM routes must carry the CrmRequestFilter.");
}

/// <summary>The answer of <c>PUT /v1/contacts/{contactId}</c> (200).</summary>
internal sealed record ContactResponse(
    string Id,
    int Version,
    JsonElement Received,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Padding = null);

/// <summary>The answer of <c>POST /v1/contacts/{contactId}/notes</c> (201).</summary>
internal sealed record NoteResponse(
    string NoteId,
    string ContactId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Padding = null);

/// <summary>The answer of <c>DELETE /v1/contacts/big</c> (200; other deletes answer 204 without a body).</summary>
internal sealed record DeletedResponse(string Id, bool Deleted, string Padding);

/// <summary>The body of a CRM refusal (422): <c>{"error":{"code":"...","message":"..."}}</c>.</summary>
internal sealed record CrmErrorResponse(CrmError Error);

/// <summary>The <c>error</c> object of <see cref="CrmErrorResponse"/>.</summary>
internal sealed record CrmError(string Code, string Message);

/// <summary>The body and answer of <c>GET</c>/<c>PUT /control/crm/auth</c>: <c>{"mode":"Basic"}</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record CrmAuthView(CrmAuthMode? Mode);

/// <summary>Writes <see cref="CrmAuthMode"/> by name (<c>Basic</c>, <c>ApiKey</c>, <c>Bearer</c>, <c>None</c>); reads names only, in any case.</summary>
internal sealed class CrmAuthModeJsonConverter() : JsonStringEnumConverter<CrmAuthMode>(namingPolicy: null, allowIntegerValues: false);
