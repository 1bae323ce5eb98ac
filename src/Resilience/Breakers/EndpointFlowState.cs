namespace Messaging.Resilience.Breakers;

/// <summary>What a breaker-aware endpoint is doing.</summary>
public enum EndpointFlowState
{
    /// <summary>Consuming at the full limit.</summary>
    Running,

    /// <summary>Stopped: a dependency's breaker is open; messages stay ready in the queue.</summary>
    Paused,

    /// <summary>Started again with a limit of one: the next message is the breaker's probe.</summary>
    Probing,

    /// <summary>The probe succeeded; the limit grows step by step.</summary>
    Ramping,
}
