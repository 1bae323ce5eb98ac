using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Messaging.Resilience.Signing;

/// <summary>
/// Encrypts and decrypts clients' callback signing secrets with AES-256-GCM under the key ring of
/// <see cref="CallbackSecretKeysOptions"/>. Each configured key is stretched to an AES key with HKDF-SHA256; the client id is
/// the associated data, so a ciphertext copied to another client's row does not decrypt. Secrets look as Standard Webhooks
/// says: <c>whsec_</c> and base64 of 32 random bytes.
/// </summary>
public sealed class CallbackSecretProtector
{
    /// <summary>What every secret starts with (Standard Webhooks).</summary>
    public const string SecretPrefix = "whsec_";

    private const int SecretBytes = 32;
    private static readonly byte[] KeyInfo = Encoding.UTF8.GetBytes("messaging callback secrets v1");

    private readonly Dictionary<string, byte[]> _keys;
    private readonly string? _current;

    /// <summary>Takes the validated key ring.</summary>
    public CallbackSecretProtector(IOptions<CallbackSecretKeysOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        _keys = value.SecretKeys.ToDictionary(
            k => k.Key,
            k => HKDF.DeriveKey(HashAlgorithmName.SHA256, MessageSigner.Decode(k.Value)
                ?? throw new InvalidOperationException($"Callbacks:SecretKeys:{k.Key} is not base64."), 32, info: KeyInfo),
            StringComparer.Ordinal);
        _current = value.CurrentSecretKey;
    }

    /// <summary>Whether a current key is configured, so new secrets can be stored.</summary>
    public bool CanProtect => _current is not null;

    /// <summary>A new secret: <c>whsec_</c> and base64 of 32 random bytes.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(SecretBytes));

    /// <summary>Encrypts <paramref name="secret"/> of <paramref name="clientId"/> with the current key.</summary>
    /// <exception cref="InvalidOperationException">No key is configured (<see cref="CanProtect"/> is false).</exception>
    public ProtectedCallbackSecret Protect(string secret, string clientId)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(clientId);
        if (_current is null)
        {
            throw new InvalidOperationException(
                "No callback secret key is configured: set Callbacks:SecretKeys:<id> (base64 of at least 32 random bytes) and Callbacks:CurrentSecretKey.");
        }

        var plain = Encoding.UTF8.GetBytes(secret);
        var output = new byte[AesGcm.NonceByteSizes.MaxSize + plain.Length + AesGcm.TagByteSizes.MaxSize];
        var nonce = output.AsSpan(0, AesGcm.NonceByteSizes.MaxSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_keys[_current], AesGcm.TagByteSizes.MaxSize);
        aes.Encrypt(nonce, plain, output.AsSpan(nonce.Length, plain.Length), output.AsSpan(nonce.Length + plain.Length), AssociatedData(clientId));
        return new ProtectedCallbackSecret(_current, output);
    }

    /// <summary>Decrypts a stored secret of <paramref name="clientId"/>.</summary>
    /// <exception cref="CryptographicException">
    /// Its key is no longer configured, or the ciphertext was altered or belongs to another client.
    /// </exception>
    public string Unprotect(ProtectedCallbackSecret stored, string clientId)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(clientId);
        const int overhead = 12 + 16;
        if (!_keys.TryGetValue(stored.KeyId, out var key))
        {
            throw new CryptographicException($"The callback secret was encrypted with key '{stored.KeyId}', which is not under Callbacks:SecretKeys.");
        }

        if (stored.Ciphertext.Length < overhead)
        {
            throw new CryptographicException("The stored callback secret is too short to be one.");
        }

        var input = stored.Ciphertext.AsSpan();
        var plain = new byte[input.Length - overhead];
        using var aes = new AesGcm(key, AesGcm.TagByteSizes.MaxSize);
        aes.Decrypt(input[..12], input.Slice(12, plain.Length), input[^16..], plain, AssociatedData(clientId));
        return Encoding.UTF8.GetString(plain);
    }

    private static byte[] AssociatedData(string clientId) => Encoding.UTF8.GetBytes("callback-secret\0" + clientId);
}
