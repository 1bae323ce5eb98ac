using System.ComponentModel.DataAnnotations;

namespace Messaging.CommandTypes.Payments;

/// <summary>The payments provider's credentials (section <c>ExternalServices:Payments</c>, which also lists its <c>Endpoints</c>).</summary>
public sealed class PaymentsOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "ExternalServices:Payments";

    /// <summary>The OAuth2 token endpoint (client credentials), an absolute http or https URL.</summary>
    [Required(ErrorMessage = "ExternalServices:Payments:TokenUrl is required.")]
    public string TokenUrl { get; set; } = "";

    /// <summary>The OAuth2 client id.</summary>
    [Required(ErrorMessage = "ExternalServices:Payments:ClientId is required.")]
    public string ClientId { get; set; } = "";

    /// <summary>The OAuth2 client secret. Never logged.</summary>
    [Required(ErrorMessage = "ExternalServices:Payments:ClientSecret is required.")]
    public string ClientSecret { get; set; } = "";

    /// <summary>The OAuth2 scope to request, if the provider needs one.</summary>
    /// <value>The default value is null (the client's default scope).</value>
    public string? Scope { get; set; }
}
