using System.ComponentModel.DataAnnotations;

namespace Messaging.CommandTypes.Providers;

/// <summary>
/// When cached access tokens are refreshed (section <c>ExternalServices:TokenRefresh</c>). A token is
/// refreshed at the earlier of <see cref="LifetimeFraction"/> of its lifetime and <see cref="Margin"/>
/// before it expires, so callers rarely wait for the token endpoint and never get an expired token.
/// </summary>
public sealed class TokenRefreshOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "ExternalServices:TokenRefresh";

    /// <summary>The share of a token's lifetime after which it is refreshed.</summary>
    /// <value>The default value is 0.8.</value>
    [Range(0.1, 1.0, ErrorMessage = "ExternalServices:TokenRefresh:LifetimeFraction must be between 0.1 and 1.")]
    public double LifetimeFraction { get; set; } = 0.8;

    /// <summary>The least time before expiry at which a token is refreshed.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "ExternalServices:TokenRefresh:Margin must be between 0 and 1 hour.")]
    public TimeSpan Margin { get; set; } = TimeSpan.FromSeconds(30);
}
