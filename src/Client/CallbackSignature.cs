using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Messaging.Client;

/// <summary>
/// Checks that a completion callback came from the gateway, as the Standard Webhooks specification says: the
/// <c>webhook-signature</c> header holds one or more <c>v1,&lt;base64&gt;</c> entries, each an HMAC-SHA256 with the
/// client's callback secret over <c>&lt;webhook-id&gt;.&lt;webhook-timestamp&gt;.&lt;raw body&gt;</c>; one match is enough.
/// The timestamp (Unix seconds) must be within <see cref="DefaultTolerance"/> of now, which stops replays of an old request.
/// </summary>
/// <remarks>
/// Written here rather than taken from the StandardWebhooks package: that package verifies an ASP.NET Core
/// <c>IHeaderDictionary</c> and so brings the ASP.NET Core shared framework to every user of this client, most of whom
/// only send commands. The receiver's tests check this code against signatures the package makes.
/// </remarks>
public static class CallbackSignature
{
    /// <summary>The header with the message id (the same id again is the same event: process it once).</summary>
    public const string IdHeader = "webhook-id";

    /// <summary>The header with the time of signing, in Unix seconds.</summary>
    public const string TimestampHeader = "webhook-timestamp";

    /// <summary>The header with the signatures, space-separated <c>v1,&lt;base64&gt;</c> entries.</summary>
    public const string SignatureHeader = "webhook-signature";

    /// <summary>How far the timestamp may be from now, either way (the specification's recommendation).</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    private const string SecretPrefix = "whsec_";

    /// <summary>
    /// Whether the request is authentic: the three headers are present, the timestamp is within
    /// <paramref name="tolerance"/> of <paramref name="timeProvider"/>'s now, and a signature matches one of
    /// <paramref name="secrets"/> (give both while the gateway rotates the secret).
    /// </summary>
    /// <param name="body">The raw request body, exactly as received (before any JSON parsing).</param>
    /// <param name="id">The <c>webhook-id</c> header.</param>
    /// <param name="timestamp">The <c>webhook-timestamp</c> header.</param>
    /// <param name="signatures">The <c>webhook-signature</c> header.</param>
    /// <param name="secrets">The client's callback secrets (<c>whsec_…</c>, as <c>clients add</c> showed them).</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="tolerance">How far the timestamp may be from now; <see cref="DefaultTolerance"/> when null.</param>
    /// <returns>The outcome: <see cref="CallbackVerification.Valid"/> or why not.</returns>
    /// <exception cref="ArgumentException">A secret is not <c>whsec_</c> followed by base64.</exception>
    public static CallbackVerification Verify(ReadOnlySpan<byte> body, string? id, string? timestamp, string? signatures, IEnumerable<string> secrets,
        TimeProvider? timeProvider = null, TimeSpan? tolerance = null)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var keys = secrets.Select(KeyOf).ToList();
        if (keys.Count == 0)
        {
            throw new ArgumentException("Give at least one callback secret.", nameof(secrets));
        }

        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signatures))
        {
            return CallbackVerification.MissingHeaders;
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return CallbackVerification.TimestampOutOfRange;
        }

        var now = (timeProvider ?? TimeProvider.System).GetUtcNow().ToUnixTimeSeconds();
        if (Math.Abs(now - seconds) > (long)(tolerance ?? DefaultTolerance).TotalSeconds)
        {
            return CallbackVerification.TimestampOutOfRange;
        }

        var signed = Signed(id, timestamp, body);
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        foreach (var key in keys)
        {
            HMACSHA256.HashData(key, signed, expected);
            foreach (var entry in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                // Other versions (v1a, …) may appear next to v1: they are skipped, not an error.
                if (entry.StartsWith("v1,", StringComparison.Ordinal)
                    && Convert.TryFromBase64String(entry[3..], given, out var written) && written == given.Length
                    && CryptographicOperations.FixedTimeEquals(expected, given))
                {
                    return CallbackVerification.Valid;
                }
            }
        }

        return CallbackVerification.SignatureMismatch;
    }

    /// <summary>Verifies a request with its headers read by name (case-insensitively, as HTTP headers are).</summary>
    /// <param name="body">The raw request body.</param>
    /// <param name="header">Reads a header's value by name, or null when absent (for example <c>name => request.Headers[name]</c>).</param>
    /// <param name="secrets">The client's callback secrets.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <returns>The outcome.</returns>
    public static CallbackVerification Verify(ReadOnlySpan<byte> body, Func<string, string?> header, IEnumerable<string> secrets, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        return Verify(body, header(IdHeader), header(TimestampHeader), header(SignatureHeader), secrets, timeProvider);
    }

    private static byte[] KeyOf(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var encoded = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret;
        try
        {
            return Convert.FromBase64String(encoded);
        }
        catch (FormatException)
        {
            // The secret itself is never put into the message.
            throw new ArgumentException("A callback secret is whsec_ followed by base64, as clients add showed it.", nameof(secret));
        }
    }

    private static byte[] Signed(string id, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return signed;
    }
}
