using System.ComponentModel.DataAnnotations;

namespace Messaging.Samples.ShippingLabels;

/// <summary>The shipping provider (section <c>ExternalServices:Shipping</c>, which also lists its <c>Endpoints</c>).</summary>
public sealed class ShippingOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "ExternalServices:Shipping";

    /// <summary>The API key sent as <c>X-Api-Key</c>. Never logged.</summary>
    /// <value>The default value is the key of the fake provider in tests/FakeServices (a sample's default, not a secret).</value>
    [Required(ErrorMessage = "ExternalServices:Shipping:ApiKey is required.")]
    public string ApiKey { get; set; } = "fake-shipping-key";
}
