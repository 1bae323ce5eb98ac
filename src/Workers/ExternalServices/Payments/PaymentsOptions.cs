using System.ComponentModel.DataAnnotations;

namespace Messaging.Workers.ExternalServices.Payments;

/// <summary>The payments provider (section <c>ExternalServices:Payments</c>).</summary>
public sealed class PaymentsOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "ExternalServices:Payments";

    /// <summary>
    /// Base URLs of the provider in failover order (absolute http or https, at most 11), read at start. A
    /// call moves to the next one when an endpoint fails transiently or its breaker is open.
    /// </summary>
    [Required(ErrorMessage = "ExternalServices:Payments:Endpoints is required.")]
    public List<string> Endpoints { get; set; } = [];

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
