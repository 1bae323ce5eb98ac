namespace Messaging.Resilience.Breakers;

/// <summary>One breaker's current state.</summary>
/// <param name="Name">The breaker (dependency) name.</param>
/// <param name="State">Its state.</param>
/// <param name="Since">When it entered that state.</param>
public sealed record BreakerSnapshot(string Name, BreakerState State, DateTimeOffset Since);
