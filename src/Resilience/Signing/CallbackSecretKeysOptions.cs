namespace Messaging.Resilience.Signing;

/// <summary>
/// The key ring that encrypts the clients' callback signing secrets at rest (section <c>Callbacks</c>): the gateway encrypts
/// a secret when it makes one, the workers decrypt it to sign a callback, so every gateway and worker needs the same keys.
/// A secret cannot be hashed like a client secret: it must be readable to sign.
/// </summary>
public sealed class CallbackSecretKeysOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Callbacks";

    /// <summary>
    /// Keys by id (<c>Callbacks:SecretKeys:&lt;id&gt;</c>, ids of 1 to 32 letters, digits, <c>-</c> or <c>_</c>), each base64 of
    /// at least 32 random bytes. Every key decrypts the secrets it encrypted; rotation: add a key, make it current, re-encrypt,
    /// then remove the old one. Outside Development the key shipped in <c>appsettings.Development.json</c> is refused.
    /// </summary>
    /// <value>The default value is empty: no callback secret can be made or read.</value>
    public Dictionary<string, string> SecretKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The id of the key that encrypts new secrets (<c>Callbacks:CurrentSecretKey</c>); required when keys are configured.</summary>
    /// <value>The default value is null.</value>
    public string? CurrentSecretKey { get; set; }
}
