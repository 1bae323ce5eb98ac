using Messaging.CommandTypes.BuiltIn;
using Messaging.Store.Bus;
using Messaging.Testing;
using RabbitMQ.Client;

namespace Messaging.Store.Tests.Bus;

public sealed class CommandTopologyTests : IAsyncLifetime
{
    private readonly ServicesFixture _services = new();

    public ValueTask InitializeAsync() => _services.InitializeAsync();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public void WithoutAQuorumInitialGroupSize_NoArgumentIsSent_SoEveryNodeHoldsAReplica()
    {
        Assert.DoesNotContain(CommandTopology.QuorumInitialGroupSizeArgument, CommandTopology.CommandQueueArguments(null).Keys);
        Assert.DoesNotContain(CommandTopology.QuorumInitialGroupSizeArgument, CommandTopology.DeadLetterQueueArguments(null).Keys);
    }

    [Fact]
    public void WithAQuorumInitialGroupSize_CommandAndDeadLetterQueuesBothCarryIt()
    {
        Assert.Equal(3, CommandTopology.CommandQueueArguments(3)[CommandTopology.QuorumInitialGroupSizeArgument]);
        Assert.Equal(3, CommandTopology.DeadLetterQueueArguments(3)[CommandTopology.QuorumInitialGroupSizeArgument]);
        Assert.Equal("quorum", CommandTopology.DeadLetterQueueArguments(3)["x-queue-type"]);
    }

    [Fact]
    public async Task Redeclare_WithAnotherQuorumInitialGroupSize_IsRefused_NamingTheSettingAndTheWayOut()
    {
        var factory = new ConnectionFactory { Uri = new Uri(_services.RabbitMqConnectionString) };
        await using var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using (var first = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken))
        {
            await CommandTopology.DeclareAsync(first, BuiltInCommandTypes.Registry, quorumInitialGroupSize: 1, TestContext.Current.CancellationToken);
            // The same value again is accepted: every process of a deployment declares on start.
            await CommandTopology.DeclareAsync(first, BuiltInCommandTypes.Registry, quorumInitialGroupSize: 1, TestContext.Current.CancellationToken);
        }

        await using var second = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        var error = await Assert.ThrowsAsync<QueueArgumentsMismatchException>(() =>
            CommandTopology.DeclareAsync(second, BuiltInCommandTypes.Registry, quorumInitialGroupSize: null, TestContext.Current.CancellationToken));

        Assert.Equal(CommandTopology.DeadLetterQueue, error.Queue);
        Assert.Contains(CommandTopology.QuorumInitialGroupSizeArgument, error.Message, StringComparison.Ordinal);
        Assert.Contains("RabbitMq:QuorumInitialGroupSize", error.Message, StringComparison.Ordinal);
        Assert.Contains("rabbitmq-queues grow", error.Message, StringComparison.Ordinal);
    }
}
