using System.Text;
using System.Text.Json;
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

/// <summary>A queue bound to an event exchange; read the MassTransit envelopes that reach it.</summary>
public sealed class EventTap(IConnection connection, IChannel channel, string queue) : IAsyncDisposable
{
    private readonly List<JsonElement> _received = [];

    /// <summary>Waits until an event whose <c>message</c> matches arrives, and returns that message.</summary>
    public async Task<JsonElement?> WaitForAsync(Func<JsonElement, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_received.FirstOrDefault(match) is { ValueKind: JsonValueKind.Object } found)
            {
                return found;
            }

            var result = await channel.BasicGetAsync(queue, autoAck: true);
            if (result is null)
            {
                await Task.Delay(200);
                continue;
            }

            using var envelope = JsonDocument.Parse(Encoding.UTF8.GetString(result.Body.Span));
            _received.Add(envelope.RootElement.GetProperty("message").Clone());
        }

        return _received.FirstOrDefault(match) is { ValueKind: JsonValueKind.Object } last ? last : null;
    }

    /// <summary>Closes the channel and the connection (the queue goes with them).</summary>
    public async ValueTask DisposeAsync()
    {
        await channel.DisposeAsync();
        await connection.DisposeAsync();
    }
}
