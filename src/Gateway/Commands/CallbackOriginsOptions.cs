namespace Messaging.Gateway.Commands;

/// <summary>
/// The origins each tenant's completion callbacks may be sent to: <c>Tenants:&lt;tenant&gt;:CallbackOrigins:0..n</c>, each
/// an origin (<c>https://hooks.example.com</c>, <c>http://127.0.0.1:5099</c>: scheme, host and port, no path). A tenant
/// that is not listed may not ask for callbacks. Plain <c>http</c> is accepted only for loopback hosts, or in the
/// Development and Testing environments. Checked at start (<see cref="CallbackOriginsOptionsValidator"/>), read again
/// when the configuration changes.
/// </summary>
public sealed class CallbackOriginsOptions
{
    /// <summary>The configuration section that holds one section per tenant.</summary>
    public const string SectionName = "Tenants";

    /// <summary>The key, under a tenant's section, of its list of origins.</summary>
    public const string OriginsKey = "CallbackOrigins";

    /// <summary>The origins as configured, per tenant (as the tenant is spelt in the key: tenants are matched exactly).</summary>
    /// <value>The default value is empty: no tenant may ask for callbacks.</value>
    public Dictionary<string, List<string>> Tenants { get; } = new(StringComparer.Ordinal);

    /// <summary>The configuration key of a tenant's origin, for messages.</summary>
    internal static string KeyOf(string tenant, int index) => $"{SectionName}:{tenant}:{OriginsKey}:{index}";
}
