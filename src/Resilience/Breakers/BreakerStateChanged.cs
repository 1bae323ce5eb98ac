namespace Messaging.Resilience.Breakers;

/// <summary>A breaker changed state.</summary>
/// <param name="Name">The breaker.</param>
/// <param name="From">The state it left.</param>
/// <param name="To">The state it entered.</param>
/// <param name="At">When.</param>
/// <param name="BreakDuration">For <see cref="BreakerState.Open"/>: how long the break lasts.</param>
public sealed record BreakerStateChanged(string Name, BreakerState From, BreakerState To, DateTimeOffset At, TimeSpan? BreakDuration = null);
