using Microsoft.Extensions.Configuration;
using Messaging.Store.Bus;
using RabbitMQ.Client;

namespace Messaging.Store.Outbox;

/// <summary>
/// The outbox relay's own RabbitMQ connection and publisher-confirm channel, made from the bus's settings
/// (<see cref="RabbitMqBroker"/>: <c>ConnectionStrings:RabbitMq</c> and <c>RabbitMq:Hosts</c>) on first use and made again after the broker or the network closed either.
/// The library tracks confirms and returns: a publish completes when the broker confirmed it, and fails when the
/// broker nacked or returned it. Outstanding publishes are bounded by the relay's batch, not throttled here.
/// </summary>
internal sealed class RelayChannel(IConfiguration configuration) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;

    /// <summary>An open channel: the current one, or a new one (on a new connection if the old one closed).</summary>
    public async ValueTask<IChannel> GetAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_channel is { IsOpen: true } current)
            {
                return current;
            }

            await CloseAsync(_channel).ConfigureAwait(false);
            _channel = null;
            if (_connection is not { IsOpen: true })
            {
                await CloseAsync(_connection).ConfigureAwait(false);
                _connection = null;
                var broker = RabbitMqBroker.FromConfiguration(configuration);
                var factory = broker.CreateConnectionFactory("messaging-outbox-relay");
                // A pass that finds the connection closed makes a new one here (on the first node that answers); the
                // library's own recovery would reopen channels behind the relay's back while their unconfirmed publishes fail.
                factory.AutomaticRecoveryEnabled = false;
                _connection = await broker.ConnectAsync(factory, cancellationToken).ConfigureAwait(false);
            }

            _channel = await _connection.CreateChannelAsync(new CreateChannelOptions(
                publisherConfirmationsEnabled: true,
                publisherConfirmationTrackingEnabled: true,
                outstandingPublisherConfirmationsRateLimiter: null), cancellationToken).ConfigureAwait(false);
            return _channel;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Drops <paramref name="channel"/> after a publish on it failed or timed out, so the next pass starts on a fresh
    /// one (a channel with unanswered confirms is not worth keeping). The connection stays if it is still open.
    /// </summary>
    public async ValueTask ResetAsync(IChannel channel)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (ReferenceEquals(_channel, channel))
            {
                _channel = null;
                await CloseAsync(channel).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync(_channel).ConfigureAwait(false);
        await CloseAsync(_connection).ConfigureAwait(false);
        _channel = null;
        _connection = null;
        _gate.Dispose();
    }

    private static async ValueTask CloseAsync(IAsyncDisposable? closable)
    {
        if (closable is null)
        {
            return;
        }

        try
        {
            // DisposeAsync closes an open channel or connection (and waits at most the library's close timeout).
            await closable.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.RabbitMQClientException or IOException or OperationCanceledException
            or TimeoutException or System.Net.Sockets.SocketException)
        {
            // Already broken: nothing left to close.
        }
    }
}
