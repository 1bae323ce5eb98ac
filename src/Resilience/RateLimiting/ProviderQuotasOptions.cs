namespace Messaging.Resilience.RateLimiting;

/// <summary>
/// The quotas of the external providers the workers call (section <c>RateLimiting:Providers</c>, one child per
/// provider, for example <c>RateLimiting:Providers:payments</c>), shared by every worker instance through Redis.
/// </summary>
public sealed class ProviderQuotasOptions
{
    /// <summary>Each provider's quota, by provider name (case-insensitive).</summary>
    public Dictionary<string, ProviderQuotaOptions> Providers { get; } = new(StringComparer.OrdinalIgnoreCase);
}
