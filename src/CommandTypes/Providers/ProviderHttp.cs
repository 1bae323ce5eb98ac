using System.Net;
using System.Text.Json;
using Messaging.Resilience.Classification;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Messaging.CommandTypes.Providers;

/// <summary>What the provider clients share: sending with failure classification, and JSON.</summary>
public static class ProviderHttp
{
    private const int MaxCodeLength = 64;

    /// <summary>The header carrying the command id, so a provider applies a command once.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>Provider bodies are camelCase JSON.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Sends through the client's pipelines (which have already failed over and retried what they could)
    /// with <paramref name="context"/> attached to the request, so the deadline it carries bounds every
    /// timeout, and turns failures without an answer into <see cref="ProviderException"/>s. Cancellation is
    /// not a failure: it propagates, so the caller can tell a deadline from an outage.
    /// </summary>
    /// <param name="http">The provider's client.</param>
    /// <param name="request">The request.</param>
    /// <param name="provider">The provider's name, for the exception.</param>
    /// <param name="context">The execution's context (deadline, cancellation).</param>
    /// <param name="completion">
    /// When the call returns: by default once the whole response body is read (and buffered up to the client's limit);
    /// <see cref="HttpCompletionOption.ResponseHeadersRead"/> when the body is not needed (completion callbacks), so a large
    /// one costs nothing.
    /// </param>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request, string provider, ResilienceContext context,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var cancellationToken = context.CancellationToken;
        request.SetResilienceContext(context);
        try
        {
            return await http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new ProviderException(provider, "connection failed", isTransient: true, innerException: ex);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new ProviderException(provider, "timed out", isTransient: true, innerException: ex);
        }
        catch (BrokenCircuitException ex)
        {
            throw new ProviderException(provider, "circuit open", isTransient: true, innerException: ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Something other than the caller (a timeout below the pipelines) cancelled the request.
            throw new ProviderException(provider, "timed out", isTransient: true, innerException: ex);
        }
        finally
        {
            request.SetResilienceContext(null);
        }
    }

    /// <summary>5xx, 408 and 429 are worth another attempt; other unexpected statuses are not.</summary>
    public static bool IsTransient(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    /// <summary>The exception for a status the provider's contract does not define for this call (with its <c>Retry-After</c>, if any).</summary>
    public static ProviderException Unexpected(string provider, HttpResponseMessage response, TimeProvider? timeProvider = null) =>
        new(provider, $"unexpected status {(int)response.StatusCode}", IsTransient(response.StatusCode), response.StatusCode,
            retryAfter: timeProvider is null ? TransientFailures.RetryAfter(response) : TransientFailures.RetryAfter(response, timeProvider));

    /// <summary>Content for a JSON request body (buffered, so retries can send it again).</summary>
    public static ByteArrayContent JsonContent<T>(T body)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, Json));
        content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
        return content;
    }

    /// <summary>Reads a JSON body, or null when it is empty or not JSON of that shape.</summary>
    public static async Task<T?> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return default;
        }
        catch (NotSupportedException)
        {
            // Not a JSON content type.
            return default;
        }
    }

    /// <summary>Whether every endpoint is an absolute http(s) URL, and there is at least one.</summary>
    public static bool AreValidEndpoints(IReadOnlyCollection<string>? endpoints) =>
        endpoints is { Count: > 0 } && endpoints.All(IsHttpUrl);

    /// <summary>Whether the text is an absolute http or https URL.</summary>
    public static bool IsHttpUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    /// <summary>A base address that relative request paths (<c>v1/charges</c>) append to, even when it has a path.</summary>
    public static Uri BaseAddress(string endpoint) => new(endpoint.EndsWith('/') ? endpoint : endpoint + "/", UriKind.Absolute);

    /// <summary>The code if it is a plain identifier (letters, digits, <c>_-.</c>, at most 64), otherwise the fallback.</summary>
    public static string SafeCode(string? code, string fallback) =>
        !string.IsNullOrEmpty(code) && code.Length <= MaxCodeLength && code.All(IsCodeCharacter) ? code : fallback;

    private static bool IsCodeCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.';
}
