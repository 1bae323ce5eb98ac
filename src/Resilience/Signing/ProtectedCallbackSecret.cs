namespace Messaging.Resilience.Signing;

/// <summary>A callback signing secret as it is stored: the id of the key that encrypted it, and nonce, ciphertext and tag.</summary>
/// <param name="KeyId">The <c>Callbacks:SecretKeys</c> entry that encrypted it.</param>
/// <param name="Ciphertext">The 12-byte nonce, the encrypted secret and the 16-byte AES-GCM tag, in that order.</param>
public sealed record ProtectedCallbackSecret(string KeyId, byte[] Ciphertext);
