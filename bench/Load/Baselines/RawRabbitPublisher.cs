using System.Text;
using System.Text.Json;
using Messaging.Contracts.Notifications;
using RabbitMQ.Client;

namespace Messaging.Load.Baselines;

/// <summary>
/// B2, the relay's limit: RabbitMQ.Client 7 persistent, mandatory publishes of the command message to the quorum
/// queue's exchange on one channel with publisher confirms tracked by the library (each publish completes when
/// its confirm arrives; many may be outstanding).
/// </summary>
internal sealed class RawRabbitPublisher : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly ReadOnlyMemory<byte> _body;
    private readonly BasicProperties _properties = new() { Persistent = true, ContentType = "application/json" };

    private RawRabbitPublisher(IConnection connection, IChannel channel, ReadOnlyMemory<byte> body)
    {
        _connection = connection;
        _channel = channel;
        _body = body;
    }

    public static async Task<RawRabbitPublisher> StartAsync(string rabbitMq, int payloadBytes, int maxOutstanding)
    {
        var factory = new ConnectionFactory { Uri = new Uri(rabbitMq) };
        var connection = await factory.CreateConnectionAsync().ConfigureAwait(false);
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true,
            outstandingPublisherConfirmationsRateLimiter: new ThrottlingRateLimiter(Math.Max(maxOutstanding, 2)))).ConfigureAwait(false);
        await Messaging.Store.Bus.CommandTopology.DeclareAsync(channel, Messaging.CommandTypes.BuiltIn.BuiltInCommandTypes.Registry, quorumInitialGroupSize: null).ConfigureAwait(false);
        var body = JsonSerializer.SerializeToUtf8Bytes(new SendNotification
        {
            CommandId = Guid.NewGuid(), Tenant = "load", Channel = "email", To = "load@example.org", Subject = "Load", Body = Payloads.Body(payloadBytes),
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        return new RawRabbitPublisher(connection, channel, body);
    }

    /// <summary>One publish, completed when the broker confirmed it.</summary>
    public async ValueTask<bool> PublishAsync(CancellationToken cancellationToken)
    {
        await _channel.BasicPublishAsync(SendNotification.TypeName, "", mandatory: true, _properties, _body, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.CloseAsync().ConfigureAwait(false);
        await _channel.DisposeAsync().ConfigureAwait(false);
        await _connection.CloseAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    internal static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
