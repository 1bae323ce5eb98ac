namespace Messaging.Resilience.Breakers;

/// <summary>One breaker-aware endpoint's current state, as monitoring shows it.</summary>
/// <param name="Name">The endpoint (queue) name.</param>
/// <param name="State">Its state.</param>
/// <param name="Since">When it entered that state.</param>
/// <param name="ConcurrencyLimit">Messages it admits at once right now (0 while paused).</param>
/// <param name="PausedBy">The dependency whose open breaker paused it, if paused by one.</param>
public sealed record EndpointSnapshot(string Name, EndpointFlowState State, DateTimeOffset Since, int ConcurrencyLimit, string? PausedBy);
