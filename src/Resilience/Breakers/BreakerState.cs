namespace Messaging.Resilience.Breakers;

/// <summary>The state of a breaker as operators see it.</summary>
public enum BreakerState
{
    /// <summary>Calls flow.</summary>
    Closed,

    /// <summary>One probe call is allowed to test the dependency.</summary>
    HalfOpen,

    /// <summary>Calls are rejected until the break ends.</summary>
    Open,

    /// <summary>Opened by an operator; stays open until reset.</summary>
    Isolated,
}
