using System.ComponentModel.DataAnnotations;

namespace Messaging.Gateway.Auth;

/// <summary>Access-token settings (section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Auth";

    /// <summary>HMAC keys for access tokens: the first signs, all verify (rotation). At least 32 bytes each.</summary>
    [Required, MinLength(1)]
    public List<string> SigningKeys { get; set; } = [];

    /// <summary>How long an access token is valid.</summary>
    /// <value>The default value is 15 minutes.</value>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Tolerated clock difference when validating token lifetimes.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);
}
