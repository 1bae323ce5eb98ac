using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using StandardWebhooks;

namespace Messaging.CommandTypes.Callbacks;

/// <summary>
/// Signs a completion callback as the Standard Webhooks specification says, with that specification's .NET library
/// (<see cref="StandardWebhook.Sign"/>): <c>webhook-id</c> (one per transition, so a receiver handles each once),
/// <c>webhook-timestamp</c> (Unix seconds) and <c>webhook-signature</c>, one <c>v1,&lt;base64&gt;</c> entry per secret,
/// space-separated. While a client's secret is being rotated both secrets sign, so a receiver that holds either accepts
/// the request.
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
    public static string Signature(string id, DateTimeOffset at, string body, IReadOnlyList<string> secrets)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(secrets);
        if (secrets.Count == 0)
        {
            throw new ArgumentException("A callback needs at least one secret to be signed with.", nameof(secrets));
        }

        return string.Join(' ', secrets.Select(secret => SignerFor(secret).Sign(id, at, body)));
    }

    /// <summary>Adds the three headers to a request whose content is <paramref name="body"/>.</summary>
    public static void Sign(HttpRequestHeaders headers, string id, DateTimeOffset at, string body, IReadOnlyList<string> secrets)
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

    private static StandardWebhook SignerFor(string secret)
    {
        // The library would take a bare base64 key too; ours are always whsec_, so anything else is a mistake.
        if (secret is null || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException("A callback secret is whsec_ followed by base64.", nameof(secret));
        }

        try
        {
            return new StandardWebhook(secret);
        }
        catch (FormatException)
        {
            throw new ArgumentException("A callback secret is whsec_ followed by base64.", nameof(secret));
        }
    }
}
