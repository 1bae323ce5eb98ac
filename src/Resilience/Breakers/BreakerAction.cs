namespace Messaging.Resilience.Breakers;

/// <summary>A manual breaker action.</summary>
public enum BreakerAction
{
    /// <summary>Open and hold open.</summary>
    Isolate,

    /// <summary>Close.</summary>
    Reset,
}
