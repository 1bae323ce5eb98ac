using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
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
