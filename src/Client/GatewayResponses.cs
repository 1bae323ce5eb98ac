using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Messaging.Client;

/// <summary>How the client reads and writes the gateway's JSON, and turns error answers into <see cref="MessagingClientException"/>.</summary>
internal static class GatewayResponses
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Reads a success body, or throws for an error answer. <paramref name="requiredScope"/> names the scope the call
    /// needs, so that a 403 for lack of it says which one (the gateway's answer does not).
    /// </summary>
    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, TimeProvider timeProvider, CancellationToken cancellationToken, string? requiredScope = null)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(response, timeProvider, cancellationToken, requiredScope).ConfigureAwait(false);
        }

        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false)
                ?? throw new MessagingClientException($"The gateway answered {(int)response.StatusCode} with an empty body.") { StatusCode = response.StatusCode };
        }
        catch (JsonException ex)
        {
            throw new MessagingClientException($"The gateway answered {(int)response.StatusCode} with a body this client cannot read.", ex)
            {
                StatusCode = response.StatusCode,
            };
        }
    }

    /// <summary>An exception describing an error answer: problem details (RFC 9457) or an OAuth error (RFC 6749), whatever the body holds.</summary>
    public static async Task<MessagingClientException> ToExceptionAsync(
        HttpResponseMessage response, TimeProvider timeProvider, CancellationToken cancellationToken, string? requiredScope = null)
    {
        string? type = null, title = null, detail = null, errorCode = null, traceId = null;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var failedItems = new List<int>();
        CommandStatus? commandStatus = null;
        try
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length > 0 && body.TrimStart().StartsWith('{'))
            {
                using var document = JsonDocument.Parse(body);
                var root = document.RootElement;
                type = StringOf(root, "type");
                title = StringOf(root, "title");
                detail = StringOf(root, "detail") ?? StringOf(root, "error_description");
                errorCode = StringOf(root, "error");
                traceId = StringOf(root, "traceId");
                if (root.TryGetProperty("errors", out var fields) && fields.ValueKind == JsonValueKind.Object)
                {
                    foreach (var field in fields.EnumerateObject())
                    {
                        errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                            ? [.. field.Value.EnumerateArray().Select(m => m.ToString())]
                            : [field.Value.ToString()];
                    }
                }

                if (root.TryGetProperty("failedItems", out var failed) && failed.ValueKind == JsonValueKind.Array)
                {
                    failedItems.AddRange(failed.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.Number && i.TryGetInt32(out _)).Select(i => i.GetInt32()));
                }

                // A refused cancel names the command's current status (the problem's own status is the HTTP code).
                if (root.TryGetProperty("commandStatus", out var current) && current.ValueKind == JsonValueKind.String)
                {
                    commandStatus = CommandStatusJsonConverter.Parse(current.GetString());
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the status alone describes the failure.
        }

        var status = (int)response.StatusCode;
        var summary = title ?? errorCode ?? response.ReasonPhrase ?? "error";

        // A 403 for lack of scope comes without a detail (RFC 6750 puts insufficient_scope in WWW-Authenticate only);
        // the caller knows which scope the call needs, so the message names it instead of a bare "Forbidden".
        var missingScope = response.StatusCode == HttpStatusCode.Forbidden && detail is null ? requiredScope : null;
        var explanation = detail ?? (missingScope is null ? null : $"this call needs scope {missingScope}, which the access token does not carry.");
        var message = $"The gateway answered {status} ({summary})"
            + (explanation is null ? "." : $": {explanation}")
            + (errors.Count == 0 ? "" : " " + string.Join(" ", errors.SelectMany(e => e.Value.Select(m => $"[{e.Key}] {m}"))))
            + (failedItems.Count == 0 ? "" : $" [failedItems] {string.Join(", ", failedItems)}");
        return new MessagingClientException(message)
        {
            StatusCode = response.StatusCode,
            ProblemType = type,
            ProblemTitle = title,
            ProblemDetail = detail,
            ErrorCode = errorCode,
            TraceId = traceId,
            Errors = errors,
            FailedItems = failedItems,
            CommandStatus = commandStatus,
            RetryAfter = RetryAfterOf(response.Headers.RetryAfter, timeProvider),
            RequiredScope = missingScope,
        };
    }

    /// <summary>The wait a <c>Retry-After</c> header asks for (seconds or a date), never negative.</summary>
    public static TimeSpan? RetryAfterOf(RetryConditionHeaderValue? header, TimeProvider timeProvider)
    {
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - timeProvider.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    /// <summary>Whether an answer is worth retrying: 503 and 429 only.</summary>
    public static bool IsRetryableStatus(HttpStatusCode status) => status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests;

    private static string? StringOf(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
