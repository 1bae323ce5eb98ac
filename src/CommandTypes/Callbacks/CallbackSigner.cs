using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Messaging.CommandTypes.Callbacks;

/// <summary>
/// Signs a completion callback as the Standard Webhooks specification says: <c>webhook-id</c> (one per transition, so a
/// receiver handles each once), <c>webhook-timestamp</c> (Unix seconds) and <c>webhook-signature</c>, a space-separated
/// <c>v1,&lt;base64&gt;</c> entry per secret: HMAC-SHA256 over <c>&lt;id&gt;.&lt;timestamp&gt;.&lt;body&gt;</c>. While a client's
/// secret is being rotated both secrets sign, so a receiver that holds either accepts the request.
/// </summary>
internal static class CallbackSigner
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    private const string SecretPrefix = "whsec_";

    /// <summary>A new secret: 32 random bytes as <c>whsec_&lt;base64&gt;</c>, the form receivers' libraries take.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The <c>webhook-signature</c> value of <paramref name="body"/> sent as <paramref name="id"/> at <paramref name="at"/>.</summary>
    /// <exception cref="ArgumentException">No secret, or one that is not <c>whsec_</c> followed by base64 (its value is not echoed).</exception>
    public static string Signature(string id, DateTimeOffset at, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(secrets);
        if (secrets.Count == 0)
        {
            throw new ArgumentException("A callback needs at least one secret to be signed with.", nameof(secrets));
        }

        var prefix = Encoding.UTF8.GetBytes($"{id}.{at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return string.Join(' ', secrets.Select(secret => "v1," + Convert.ToBase64String(HMACSHA256.HashData(KeyOf(secret), signed))));
    }

    /// <summary>Adds the three headers to a request whose content is <paramref name="body"/>.</summary>
    public static void Sign(HttpRequestHeaders headers, string id, DateTimeOffset at, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var signature = Signature(id, at, body, secrets);
        headers.Remove(IdHeader);
        headers.Remove(TimestampHeader);
        headers.Remove(SignatureHeader);
        headers.TryAddWithoutValidation(IdHeader, id);
        headers.TryAddWithoutValidation(TimestampHeader, at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        headers.TryAddWithoutValidation(SignatureHeader, signature);
    }

    private static byte[] KeyOf(string secret)
    {
        if (secret is null || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException("A callback secret is whsec_ followed by base64.", nameof(secret));
        }

        try
        {
            return Convert.FromBase64String(secret[SecretPrefix.Length..]);
        }
        catch (FormatException)
        {
            throw new ArgumentException("A callback secret is whsec_ followed by base64.", nameof(secret));
        }
    }
}
