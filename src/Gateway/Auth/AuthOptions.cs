using System.ComponentModel.DataAnnotations;

namespace Messaging.Gateway.Auth;

/// <summary>Access-token settings (section <c>Auth</c>).</summary>
/// <remarks>
/// The client-secret peppers (<c>Auth:SecretPeppers</c>, <c>Auth:CurrentSecretPepper</c>) live in the same section;
/// see <c>Clients/ClientSecretHashingOptions</c>.
/// </remarks>
public sealed class AuthOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Auth";

    /// <summary>The longest <see cref="TokenLifetime"/> allowed, and the longest <c>exp - iat</c> a token may have.</summary>
    /// <remarks>
    /// Validation refuses tokens above this absolute maximum rather than above the current <see cref="TokenLifetime"/>,
    /// so shortening the setting does not void tokens already issued; it also bounds how long the revocation list
    /// must remember a client (<see cref="RevokedClients"/>).
    /// </remarks>
    public static readonly TimeSpan MaxTokenLifetime = TimeSpan.FromHours(1);

    /// <summary>
    /// HMAC-SHA256 keys for access tokens, each base64 of at least 32 random bytes (256 bits): the first signs, all
    /// verify (rotation: put the new key first and keep the old one second until the tokens it signed have expired).
    /// Required. Outside Development the key from <c>appsettings.Development.json</c> is refused.
    /// </summary>
    public List<string> SigningKeys { get; set; } = [];

    /// <summary>How long an access token is valid; at most <see cref="MaxTokenLifetime"/> (1 hour).</summary>
    /// <value>The default value is 15 minutes.</value>
    [Range(typeof(TimeSpan), "00:01:00", "01:00:00", ErrorMessage = "Auth:TokenLifetime must be between {1} and {2}.")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Tolerated clock difference when validating token lifetimes.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00", ErrorMessage = "Auth:ClockSkew must be between {1} and {2}.")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the token endpoint waits for the credential store before it answers 503
    /// <c>temporarily_unavailable</c> (it never answers with a token it could not check).
    /// </summary>
    /// <value>The default value is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "Auth:CredentialStoreTimeout must be between {1} and {2}.")]
    public TimeSpan CredentialStoreTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
