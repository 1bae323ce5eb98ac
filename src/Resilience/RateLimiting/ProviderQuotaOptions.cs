using System.ComponentModel.DataAnnotations;

namespace Messaging.Resilience.RateLimiting;

/// <summary>One provider's quota: a global limit, a per-tenant limit, and how long a caller may wait inline.</summary>
public sealed class ProviderQuotaOptions
{
    /// <summary>Calls to the provider by all tenants together; <see langword="null"/> for no global limit.</summary>
    public RateLimitRule? Global { get; set; }

    /// <summary>Calls by one tenant; <see langword="null"/> for no per-tenant limit.</summary>
    public RateLimitRule? PerTenant { get; set; }

    /// <summary>Per-tenant limits that replace <see cref="PerTenant"/> for the tenants named here.</summary>
    public Dictionary<string, RateLimitRule> Tenants { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The longest a caller waits inline for the quota (<see cref="ProviderQuota.AcquireAsync"/>); beyond that the
    /// answer is "defer by <c>RetryAfter</c>" and the command should be rescheduled through the outbox.
    /// </summary>
    /// <value>The default value is 2 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest pause a provider's <c>Retry-After</c> can impose on every worker (longer values are capped).</summary>
    /// <value>The default value is 5 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxPause { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The rule for <paramref name="tenant"/>: its own, else <see cref="PerTenant"/>.</summary>
    public RateLimitRule? RuleFor(string tenant) => Tenants.TryGetValue(tenant, out var rule) ? rule : PerTenant;
}
