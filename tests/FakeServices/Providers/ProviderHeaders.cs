using System.Net.Http.Headers;

namespace Messaging.FakeServices.Providers;

/// <summary>Reading the headers every provider route uses.</summary>
internal static class ProviderHeaders
{
    public const string IdempotencyKey = "Idempotency-Key";

    /// <summary>The <c>Idempotency-Key</c> if it is present and valid (1 to 255 visible ASCII characters), else null.</summary>
    public static string? ValidIdempotencyKey(HttpRequest request)
    {
        var values = request.Headers[IdempotencyKey];
        if (values.Count != 1 || values[0] is not { Length: > 0 and <= 255 } key)
        {
            return null;
        }

        foreach (var c in key)
        {
            if (c is < '!' or > '~')
            {
                return null;
            }
        }

        return key;
    }

    /// <summary>An error answer when the request's <c>Idempotency-Key</c> is missing or invalid, else null.</summary>
    public static IResult? IdempotencyKeyProblem(HttpRequest request, string? validKey)
    {
        if (validKey is not null)
        {
            return null;
        }

        return request.Headers.ContainsKey(IdempotencyKey)
            ? ProviderResults.Error(StatusCodes.Status400BadRequest, "invalid_idempotency_key", "The Idempotency-Key header must be one value of 1 to 255 visible ASCII characters.")
            : ProviderResults.Error(StatusCodes.Status400BadRequest, "missing_idempotency_key", "The Idempotency-Key header is required.");
    }

    /// <summary>The credentials of an <c>Authorization: Bearer ...</c> header, or null.</summary>
    public static string? BearerToken(HttpRequest request) =>
        AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
        && string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase)
        && !string.IsNullOrEmpty(header.Parameter)
            ? header.Parameter
            : null;
}
