namespace Messaging.Resilience.Breakers;

/// <summary>Starts and stops the transport's consumption for a <see cref="BreakerAwareEndpoint"/>.</summary>
public interface IEndpointSwitch
{
    /// <summary>Stops taking messages from the queue.</summary>
    Task StopAsync();

    /// <summary>Starts taking messages again.</summary>
    Task StartAsync();
}
