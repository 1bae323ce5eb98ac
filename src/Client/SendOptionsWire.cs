using System.Globalization;

namespace Messaging.Client;

/// <summary>
/// What <see cref="SendOptions"/> become on the wire, checked the same way for a single send (headers) and for a batch
/// item (fields of its body).
/// </summary>
internal static class SendOptionsWire
{
    public const int MaxIdempotencyKeyLength = 255;
    public const int MaxTimeoutSeconds = 86_400;

    /// <summary>Throws when the caller's key or timeout cannot be sent; <paramref name="parameterName"/> names the argument that holds them.</summary>
    public static void Validate(SendOptions? options, string parameterName)
    {
        if (options?.IdempotencyKey is { } key && (key.Length is 0 or > MaxIdempotencyKeyLength || key.Any(c => c is < '!' or > '~')))
        {
            throw new ArgumentException($"The idempotency key must be 1 to {MaxIdempotencyKeyLength} visible ASCII characters.", parameterName);
        }

        if (options?.Timeout is { } timeout && (timeout.Ticks % TimeSpan.TicksPerSecond != 0 || timeout.TotalSeconds is < 1 or > MaxTimeoutSeconds))
        {
            throw new ArgumentException($"The timeout must be whole seconds from 1 to {MaxTimeoutSeconds}.", parameterName);
        }

        if (options?.CallbackUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)))
        {
            throw new ArgumentException("The callback URL must be an absolute https (or http) URL.", parameterName);
        }
    }

    /// <summary>The caller's key, or a new one: made once per logical send, before its first attempt, so that every retry carries it.</summary>
    public static string KeyOf(SendOptions? options) => options?.IdempotencyKey ?? Guid.NewGuid().ToString("N");

    /// <summary>The timeout in whole seconds (validated by <see cref="Validate"/>).</summary>
    public static int? TimeoutSecondsOf(SendOptions? options) => options?.Timeout is { } timeout ? (int)timeout.TotalSeconds : null;

    /// <summary>The callback URL as the <c>Callback-Url</c> header and a batch item's <c>callbackUrl</c> carry it.</summary>
    public static string? CallbackUrlOf(SendOptions? options) => options?.CallbackUrl?.AbsoluteUri;

    /// <summary>RFC 3339 in UTC, with the fraction only when there is one (<c>2026-12-08T09:00:00Z</c>, <c>2026-12-08T09:00:00.25Z</c>).</summary>
    public static string? NotBeforeOf(SendOptions? options) =>
        options?.NotBefore?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
