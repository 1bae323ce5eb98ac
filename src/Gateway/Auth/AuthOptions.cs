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

    /// <summary>
    /// HMAC keys for access tokens: the first signs, all verify (rotation: put the new key first and keep the
    /// old one second until the tokens it signed have expired). Required; at least 32 bytes (UTF-8) each.
    /// Outside Development the key from <c>appsettings.Development.json</c> is refused.
    /// </summary>
    public List<string> SigningKeys { get; set; } = [];

    /// <summary>How long an access token is valid.</summary>
    /// <value>The default value is 15 minutes.</value>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00", ErrorMessage = "Auth:TokenLifetime must be between {1} and {2}.")]
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
