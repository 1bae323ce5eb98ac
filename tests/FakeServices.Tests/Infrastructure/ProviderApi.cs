using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Messaging.FakeServices.Tests.Infrastructure;

/// <summary>Calls of the provider and control APIs, written against the documented wire contract (README.md).</summary>
internal static class ProviderApi
{
    public static object Charge(string customerId = "cus_1", decimal amount = 12.50m, string currency = "EUR") =>
        new { amount, currency, customerId, description = "test charge" };

    public static object Email(string to = "ada@example.com") =>
        new { channel = "email", to, subject = "Hello", body = "Hi there" };

    public static object Label(string postalCode = "75001", string carrier = "colissimo") =>
        new { carrier, recipient = "Ada Lovelace", postalCode, country = "FR", weightGrams = 1200 };

    public static async Task<TokenDto> TokenAsync(this HttpClient client, CancellationToken ct,
        string clientId = FakeServicesDefaults.PaymentsClientId, string clientSecret = FakeServicesDefaults.PaymentsClientSecret)
    {
        using var response = await client.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = clientSecret,
        }), ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<TokenDto>(ct))!;
    }

    public static Task<HttpResponseMessage> ChargeAsync(this HttpClient client, string? token, string? idempotencyKey, object body, CancellationToken ct) =>
        client.SendAsync(Post("/v1/charges", token, idempotencyKey, body), ct);

    public static Task<HttpResponseMessage> MessageAsync(this HttpClient client, string? apiKey, string? idempotencyKey, object body, CancellationToken ct) =>
        client.SendAsync(Post("/v1/messages", apiKey, idempotencyKey, body), ct);

    /// <summary><c>POST /v1/labels</c> with the API key in <c>X-Api-Key</c> (omitted when null).</summary>
    public static Task<HttpResponseMessage> LabelAsync(this HttpClient client, string? apiKey, string? idempotencyKey, object body, CancellationToken ct)
    {
        var request = Post("/v1/labels", bearer: null, idempotencyKey, body);
        if (apiKey is not null)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }

        return client.SendAsync(request, ct);
    }

    /// <summary>
    /// A CRM call: <paramref name="path"/> as given (already escaped), the body as given (none when null,
    /// else <c>application/json</c>), the <c>Idempotency-Key</c> when not null and the credentials of
    /// <paramref name="auth"/> (see <see cref="CrmAuth"/>).
    /// </summary>
    public static Task<HttpResponseMessage> CrmAsync(this HttpClient client, HttpMethod method, string path, string? idempotencyKey, string? body,
        Action<HttpRequestMessage>? auth, CancellationToken ct, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        auth?.Invoke(request);
        configure?.Invoke(request);
        return client.SendAsync(request, ct);
    }

    /// <summary><c>PUT /v1/contacts/{contactId}</c> with the default Basic credentials.</summary>
    public static Task<HttpResponseMessage> PutContactAsync(this HttpClient client, string contactId, string? idempotencyKey, string body, CancellationToken ct) =>
        client.CrmAsync(HttpMethod.Put, $"/v1/contacts/{contactId}", idempotencyKey, body, CrmAuth.Basic(), ct);

    /// <summary><c>POST /v1/contacts/{contactId}/notes</c> with the default Basic credentials.</summary>
    public static Task<HttpResponseMessage> AddNoteAsync(this HttpClient client, string contactId, string? idempotencyKey, string body, CancellationToken ct) =>
        client.CrmAsync(HttpMethod.Post, $"/v1/contacts/{contactId}/notes", idempotencyKey, body, CrmAuth.Basic(), ct);

    /// <summary><c>DELETE /v1/contacts/{contactId}</c> without a body, with the default Basic credentials.</summary>
    public static Task<HttpResponseMessage> DeleteContactAsync(this HttpClient client, string contactId, string? idempotencyKey, CancellationToken ct) =>
        client.CrmAsync(HttpMethod.Delete, $"/v1/contacts/{contactId}", idempotencyKey, body: null, CrmAuth.Basic(), ct);

    /// <summary><c>GET /control/crm/requests</c> with the query given (for example <c>idempotencyKey=k1</c>).</summary>
    public static async Task<List<CrmRecordedDto>> CrmRequestsAsync(this HttpClient control, string query, CancellationToken ct) =>
        (await control.GetFromJsonAsync<List<CrmRecordedDto>>($"/control/crm/requests?{query}", ct))!;

    public static async Task SetFaultsAsync(this HttpClient control, string instance, object faults, CancellationToken ct)
    {
        using var response = await control.PutAsJsonAsync($"/control/instances/{instance}/faults", faults, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public static async Task<LedgerDto> LedgerAsync(this HttpClient control, string provider, CancellationToken ct) =>
        (await control.GetFromJsonAsync<LedgerDto>($"/control/ledger?provider={provider}", ct))!;

    public static async Task<RequestLogDto> RequestsAsync(this HttpClient control, string query, CancellationToken ct) =>
        (await control.GetFromJsonAsync<RequestLogDto>($"/control/requests?{query}", ct))!;

    private static HttpRequestMessage Post(string path, string? bearer, string? idempotencyKey, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return request;
    }
}

/// <summary>Credentials of the CRM provider's authentication modes, applied to a request.</summary>
internal static class CrmAuth
{
    public static Action<HttpRequestMessage> Basic(string username = FakeServicesDefaults.CrmUsername, string password = FakeServicesDefaults.CrmPassword) =>
        request => request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));

    public static Action<HttpRequestMessage> ApiKey(string key = FakeServicesDefaults.CrmApiKey) =>
        request => request.Headers.Add("X-Api-Key", key);

    public static Action<HttpRequestMessage> Bearer(string key = FakeServicesDefaults.CrmApiKey) =>
        request => request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
}

internal sealed record TokenDto(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] int ExpiresIn);

internal sealed record ChargeDto(string Id, string Status, decimal Amount, string Currency);

internal sealed record MessageDto(string Id);

internal sealed record LabelDto(string Id, string TrackingNumber, string Carrier);

internal sealed record ErrorDto(string Error);

/// <summary>The shipping provider's refusal body: <c>{"error":{"code":"...","message":"..."}}</c>.</summary>
internal sealed record ShippingErrorDto(ShippingErrorDetailDto Error);

internal sealed record ShippingErrorDetailDto(string Code, string Message);

internal sealed record LedgerDto(
    string Provider,
    long Requests,
    long TokenRequests,
    int DistinctEffects,
    int DuplicateEffects,
    long EffectsProduced,
    int Refusals,
    long Replays,
    long MismatchedReplays,
    Dictionary<string, long> RequestsByInstance,
    List<EffectDto> Effects);

internal sealed record EffectDto(string IdempotencyKey, string Id, string Instance, DateTimeOffset FirstAt, int RequestCount, int Status, int MismatchedRequests);

internal sealed record RequestLogDto(string Provider, List<RequestDto> Requests, bool Truncated);

internal sealed record RequestDto(
    long Sequence,
    string Provider,
    string Instance,
    string Method,
    string Path,
    string? IdempotencyKey,
    int Status,
    string? Fault,
    bool FaultAfterEffect,
    bool Replayed,
    int LatencyMs,
    DateTimeOffset ReceivedAt,
    DateTimeOffset CompletedAt);

internal sealed record ContactDto(string Id, int Version, JsonElement Received);

internal sealed record NoteDto(string NoteId, string ContactId);

/// <summary>The CRM provider's refusal body: <c>{"error":{"code":"...","message":"..."}}</c>.</summary>
internal sealed record CrmErrorDto(CrmErrorDetailDto Error);

internal sealed record CrmErrorDetailDto(string Code, string Message);

internal sealed record CrmRecordedDto(
    long Sequence,
    string Instance,
    string Method,
    string RawPath,
    string? RawQuery,
    string ContactId,
    CrmHeadersDto Headers,
    string Body,
    int Status,
    string? Fault,
    bool FaultAfterEffect,
    bool Replayed,
    DateTimeOffset ReceivedAt);

internal sealed record CrmHeadersDto(string? ContentType, string? IdempotencyKey, string? Traceparent, string? AuthorizationScheme, bool ApiKeyPresent);
