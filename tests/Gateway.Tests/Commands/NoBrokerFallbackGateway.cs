namespace Messaging.Gateway.Tests.Commands;

/// <summary>The same gateway with a short publish timeout, for the tests that take RabbitMQ away too.</summary>
public sealed class NoBrokerFallbackGateway : FallbackGateway
{
    protected override string PublishTimeout => "00:00:01";
}
