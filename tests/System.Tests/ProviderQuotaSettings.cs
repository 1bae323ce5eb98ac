using System.Globalization;

namespace Messaging.System.Tests;

/// <summary>The payments quota both workers processes of <see cref="ProviderQuotaSystem"/> share through Redis.</summary>
public static class ProviderQuotaSettings
{
    /// <summary>Payments calls per <see cref="Window"/>, all tenants together.</summary>
    public const int PermitLimit = 10;

    /// <summary>Calls that may go at once after a quiet period.</summary>
    public const int Burst = 5;

    /// <summary>The quota's period.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    /// <summary>How much later one call may reach the provider than another, after the quota's decision (the check allows for it).</summary>
    public static readonly TimeSpan ArrivalJitter = TimeSpan.FromMilliseconds(250);

    /// <summary>GCRA gives a permit back every <c>Window / PermitLimit</c>.</summary>
    public static TimeSpan EmissionInterval => TimeSpan.FromTicks(Window.Ticks / PermitLimit);

    /// <summary>
    /// The most permits GCRA grants in any closed interval of length <paramref name="length"/>: the burst, plus one
    /// per emission interval. (Each grant moves the bucket's theoretical arrival time one interval on, and a grant
    /// at time t needs that time to be at most t + (Burst - 1) intervals; so k grants within [a, a + length] need
    /// a + (k - Burst) intervals ≤ a + length.)
    /// </summary>
    public static int MaxGrantsWithin(TimeSpan length) => (int)(length.Ticks / EmissionInterval.Ticks) + Burst;

    public static void Apply(Dictionary<string, string> environment)
    {
        environment["RateLimiting__Providers__payments__Global__PermitLimit"] = PermitLimit.ToString(CultureInfo.InvariantCulture);
        environment["RateLimiting__Providers__payments__Global__Window"] = Window.ToString("c", CultureInfo.InvariantCulture);
        environment["RateLimiting__Providers__payments__Global__Burst"] = Burst.ToString(CultureInfo.InvariantCulture);
        // Two workers: each keeps half of the quota if Redis stops answering. While one decides locally and the
        // other on Redis, the provider may get up to one and a half quotas: the bound below holds for shared
        // decisions only, so the Redis calls get time enough not to fall back on a busy two-core machine (a cold
        // process's first decision can take longer than the production 500 ms).
        environment["RateLimiting__InstanceShare"] = "0.5";
        environment["Resilience__Dependencies__redis__AttemptTimeout"] = "00:00:03";
        environment["Resilience__Dependencies__redis__TotalTimeout"] = "00:00:05";
        environment["Resilience__Dependencies__redis__Breaker__SlowCallThreshold"] = "00:00:03";
    }
}
