
namespace Messaging.Gateway.Tests.Commands;

/// <summary>The same gateway with its outbox relay running against the fixture's RabbitMQ vhost.</summary>
public sealed class RelayingCommandsApiFixture : CommandsApiFixture
{
    protected override bool RunRelay => true;
}
