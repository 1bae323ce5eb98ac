using System.ComponentModel.DataAnnotations;

namespace Messaging.Resilience.RateLimiting;

/// <summary>
/// One limit: <see cref="PermitLimit"/> permits per <see cref="Window"/>, enforced as a GCRA (generic cell rate
/// algorithm, the token bucket expressed as one timestamp): permits come back one every
/// <c>Window / PermitLimit</c>, and at most <see cref="Burst"/> can be taken at once.
/// </summary>
public sealed class RateLimitRule
{
    /// <summary>Permits per <see cref="Window"/>.</summary>
    /// <value>The default value is 100.</value>
    [Range(1, 100_000_000)]
    public int PermitLimit { get; set; } = 100;

    /// <summary>The window over which <see cref="PermitLimit"/> permits are granted.</summary>
    /// <value>The default value is 1 minute.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Permits that can be taken at once after a quiet period; <see langword="null"/> means <see cref="PermitLimit"/>.</summary>
    /// <value>The default value is <see langword="null"/> (a full window's worth).</value>
    [Range(1, 100_000_000)]
    public int? Burst { get; set; }

    /// <summary>The burst actually used.</summary>
    public int EffectiveBurst => Burst ?? PermitLimit;

    /// <summary>The time between two permits coming back (at least one tick).</summary>
    public TimeSpan EmissionInterval => TimeSpan.FromTicks(Math.Max(1, Window.Ticks / PermitLimit));

    /// <summary>Creates a rule.</summary>
    public static RateLimitRule Create(int permitLimit, TimeSpan window, int? burst = null) =>
        new() { PermitLimit = permitLimit, Window = window, Burst = burst };

    /// <inheritdoc />
    public override string ToString() => $"{PermitLimit}/{Window} (burst {EffectiveBurst})";
}
