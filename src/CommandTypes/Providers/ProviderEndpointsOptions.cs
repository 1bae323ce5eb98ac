using System.ComponentModel.DataAnnotations;

namespace Messaging.CommandTypes.Providers;

/// <summary>The endpoints of one provider (named options per provider, section <see cref="CommandProviderRegistration.Section"/>).</summary>
public sealed class ProviderEndpointsOptions
{
    /// <summary>
    /// Base URLs of the provider in failover order (absolute http or https, at most 11), read at start. A
    /// call moves to the next one when an endpoint fails transiently or its breaker is open.
    /// </summary>
    [Required]
    public List<string> Endpoints { get; set; } = [];
}
