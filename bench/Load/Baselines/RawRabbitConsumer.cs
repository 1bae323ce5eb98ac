using Messaging.Contracts.Notifications;
using Messaging.Load.Infrastructure;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Messaging.Load.Baselines;

/// <summary>B3, the workers' limit: a raw RabbitMQ.Client consumer on the command queue with the same prefetch, acking every message.</summary>
internal static class RawRabbitConsumer
{
    public static async Task ConsumeAsync(string rabbitMq, int prefetch, Drain drain, TimeSpan timeout)
    {
        var factory = new ConnectionFactory { Uri = new Uri(rabbitMq) };
        await using var connection = await factory.CreateConnectionAsync().ConfigureAwait(false);
        await using var channel = await connection.CreateChannelAsync().ConfigureAwait(false);
        await channel.BasicQosAsync(0, (ushort)prefetch, global: false).ConfigureAwait(false);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false).ConfigureAwait(false);
            drain.Completed();
        };
        var tag = await channel.BasicConsumeAsync(SendNotification.TypeName, autoAck: false, consumer).ConfigureAwait(false);
        await drain.WaitAsync(timeout).ConfigureAwait(false);
        await channel.BasicCancelAsync(tag).ConfigureAwait(false);
        await channel.CloseAsync().ConfigureAwait(false);
        await connection.CloseAsync().ConfigureAwait(false);
    }
}
