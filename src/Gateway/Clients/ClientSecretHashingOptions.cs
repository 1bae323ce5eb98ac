namespace Messaging.Gateway.Clients;

/// <summary>
/// The server-side keys ("peppers") client secrets are hashed with (section <c>Auth</c>): HMAC-SHA256 of the secret
/// under a pepper (see <see cref="ClientSecretHasher"/>). Checked at start by <see cref="ClientSecretHashingOptionsValidator"/>.
/// </summary>
internal sealed class ClientSecretHashingOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Auth";

    /// <summary>The shortest accepted pepper, in bytes (the HMAC-SHA256 key length NIST SP 800-107 calls for full strength).</summary>
    public const int MinimumPepperBytes = 32;

    /// <summary>The longest accepted pepper id (it is written into every stored hash).</summary>
    public const int MaximumPepperIdLength = 32;

    /// <summary>
    /// Peppers by id (<c>Auth:SecretPeppers:&lt;id&gt;</c> = base64 of at least 32 random bytes; ids are 1-32 letters,
    /// digits, '-', '_' or '.'). Every configured pepper verifies; <see cref="CurrentSecretPepper"/> hashes new
    /// secrets. A pepper can be removed once no stored hash names it (docs/operations.md). Required. Outside
    /// Development the pepper from <c>appsettings.Development.json</c> is refused.
    /// </summary>
    public Dictionary<string, string> SecretPeppers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The id of the pepper that hashes new secrets (and re-hashes older ones on their next use). Optional with
    /// exactly one pepper, which is then the current one; required with more.
    /// </summary>
    public string? CurrentSecretPepper { get; set; }

    /// <summary>Whether <paramref name="id"/> is an acceptable pepper id.</summary>
    public static bool IsValidPepperId(string? id) =>
        !string.IsNullOrEmpty(id)
        && id.Length <= MaximumPepperIdLength
        && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
