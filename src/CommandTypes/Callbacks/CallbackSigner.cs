using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Messaging.CommandTypes.Callbacks;

/// <summary>
/// Signs a completion callback as the Standard Webhooks specification says: HMAC-SHA256 over
/// <c>{webhook-id}.{webhook-timestamp}.{body}</c> with each of the client's signing secrets (<c>whsec_</c> and base64),
/// written as <c>v1,&lt;base64&gt;</c> and space-separated, so a receiver that knows either secret of a rotation accepts it.
/// </summary>
public static class CallbackSigner
{
    /// <summary>The header with the event's id; a receiver uses it to drop a repeated delivery.</summary>
    public const string IdHeader = "webhook-id";

    /// <summary>The header with the attempt's time, in Unix seconds; a receiver refuses one too far from its clock.</summary>
    public const string TimestampHeader = "webhook-timestamp";

    /// <summary>The header with the signatures.</summary>
    public const string SignatureHeader = "webhook-signature";

    private const string SecretPrefix = "whsec_";

    /// <summary>The <c>webhook-id</c> of a delivery: <c>msg_</c> and its id, so each transition of a command has its own.</summary>
    public static string WebhookIdOf(Guid deliveryId) => "msg_" + deliveryId.ToString("N", CultureInfo.InvariantCulture);

    /// <summary>The <c>webhook-timestamp</c> of an attempt at <paramref name="timestamp"/>.</summary>
    public static string TimestampOf(DateTimeOffset timestamp) => timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The <c>webhook-signature</c> value: one <c>v1,&lt;base64&gt;</c> per secret, in order, separated by spaces; with two or
    /// more secrets the last signature is written twice. The StandardWebhooks package for .NET (1.1.2) never checks the last
    /// entry of a list of several, so without the repeat its users would refuse a callback signed with the secret they hold
    /// whenever that secret's signature came last; a repeated entry is harmless to every other verifier (any match counts).
    /// </summary>
    /// <exception cref="ArgumentException">No secret is given, or one is not <c>whsec_</c> (optional) and base64.</exception>
    public static string Sign(string webhookId, DateTimeOffset timestamp, string body, IReadOnlyList<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(webhookId);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(secrets);
        if (secrets.Count == 0)
        {
            throw new ArgumentException("A callback is signed with at least one secret.", nameof(secrets));
        }

        var signed = Encoding.UTF8.GetBytes($"{webhookId}.{TimestampOf(timestamp)}.{body}");
        var signature = new StringBuilder(secrets.Count * 48);
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        foreach (var secret in secrets)
        {
            HMACSHA256.HashData(KeyOf(secret), signed, hash);
            signature.Append(signature.Length == 0 ? "v1," : " v1,").Append(Convert.ToBase64String(hash));
        }

        if (secrets.Count > 1)
        {
            signature.Append(" v1,").Append(Convert.ToBase64String(hash));
        }

        return signature.ToString();
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
            // Never the secret itself in the message.
            throw new ArgumentException("A callback signing secret is not whsec_ and base64.", nameof(secret));
        }
    }
}
