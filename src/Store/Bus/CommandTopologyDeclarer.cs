using Messaging.Contracts.Commands;
using Microsoft.Extensions.Configuration;
using RabbitMQ.Client;

namespace Messaging.Store.Bus;

/// <summary>
/// Declares <see cref="CommandTopology"/> once per process (again after a failure), so the relay never
/// publishes into an exchange that has no queue bound yet (for example before any worker has started).
/// </summary>
public sealed class CommandTopologyDeclarer(IConfiguration configuration, CommandTypeRegistry commandTypes)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _declared;

    public async ValueTask EnsureDeclaredAsync(CancellationToken cancellationToken)
    {
        if (_declared)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_declared)
            {
                return;
            }

            var broker = RabbitMqBroker.FromConfiguration(configuration);
            await using var connection = await broker.ConnectAsync(broker.CreateConnectionFactory("messaging-topology"), cancellationToken).ConfigureAwait(false);
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await CommandTopology.DeclareAsync(channel, commandTypes, broker.QuorumInitialGroupSize, cancellationToken).ConfigureAwait(false);
            await channel.CloseAsync(cancellationToken).ConfigureAwait(false);
            await connection.CloseAsync(cancellationToken).ConfigureAwait(false);
            _declared = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forces a declaration before the next publish (after the broker may have lost it).</summary>
    public void Invalidate() => _declared = false;
}
