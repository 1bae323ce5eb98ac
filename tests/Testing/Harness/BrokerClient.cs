using RabbitMQ.Client;

namespace Messaging.Testing.Harness;

/// <summary>RabbitMQ.Client on one system's virtual host: raw publishes (as a misbehaving producer would) and taps on event exchanges.</summary>
public sealed class BrokerClient(string connectionString)
{
    /// <summary>Publishes <paramref name="body"/> to <paramref name="exchange"/> with publisher confirms, bypassing MassTransit.</summary>
    public async Task PublishRawAsync(string exchange, byte[] body, IDictionary<string, object?>? headers = null, string? messageId = null)
    {
        await using var connection = await Factory().CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties { Persistent = true, Headers = headers, MessageId = messageId };
        await channel.BasicPublishAsync(exchange, "", mandatory: false, properties, body);
    }

    /// <summary>
    /// Binds a queue of the test's own to the fanout exchange MassTransit publishes <paramref name="exchange"/>
    /// events to (declared here as MassTransit declares it, so it exists before the first publish).
    /// </summary>
    public async Task<EventTap> TapAsync(string exchange)
    {
        var connection = await Factory().CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        var queue = await channel.QueueDeclareAsync("tap-" + Guid.NewGuid().ToString("N"), durable: false, exclusive: true, autoDelete: true);
        await channel.QueueBindAsync(queue.QueueName, exchange, "");
        return new EventTap(connection, channel, queue.QueueName);
    }

    private ConnectionFactory Factory() => new() { Uri = new Uri(connectionString), ClientProvidedName = "system-tests" };
}
