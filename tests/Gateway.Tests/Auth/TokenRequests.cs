using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Messaging.Gateway.Tests.Auth;

/// <summary>Builds token requests and reads JSON answers for the auth tests.</summary>
internal static class TokenRequests
{
    public const string TokenPath = "/api/auth/token";

    public static async Task<HttpResponseMessage> PostFormAsync(HttpClient http, IEnumerable<KeyValuePair<string, string>> fields, AuthenticationHeaderValue? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, TokenPath) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Authorization = authorization;
        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static Task<HttpResponseMessage> PostClientCredentialsAsync(HttpClient http, string clientId, string secret, string? scope = null)
    {
        var fields = new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
        };
        if (scope is not null)
        {
            fields["scope"] = scope;
        }

        return PostFormAsync(http, fields);
    }

    /// <summary>RFC 6749 2.3.1: each part form-urlencoded, then base64 of "id:secret".</summary>
    public static AuthenticationHeaderValue Basic(string clientId, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{WebUtility.UrlEncode(clientId)}:{WebUtility.UrlEncode(secret)}")));

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static string? GetString(this JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.GetString() : null;

    /// <summary>The JSON body with <c>traceId</c> removed, normalised, for comparing answers of different requests.</summary>
    public static async Task<string> ReadBodyWithoutTraceIdAsync(HttpResponseMessage response)
    {
        var body = await ReadJsonAsync(response);
        var properties = body.EnumerateObject().Where(p => p.Name != "traceId").OrderBy(p => p.Name, StringComparer.Ordinal);
        return string.Join(",", properties.Select(p => $"{p.Name}={p.Value.GetRawText()}"));
    }
}
