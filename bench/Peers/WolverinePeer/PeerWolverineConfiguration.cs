using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Postgresql;
using Wolverine.RabbitMQ;
using Wolverine.RabbitMQ.Internal;

namespace Messaging.WolverinePeer;

/// <summary>
/// Wolverine set up as its documentation recommends for durability: message storage in PostgreSQL, every sending
/// endpoint behind the durable outbox, every listener behind the durable inbox, the queue declared as a quorum queue.
/// </summary>
internal static class PeerWolverineConfiguration
{
    public static void ConfigurePeer(this WolverineOptions options, PeerSettings settings)
    {
        options.ServiceName = "wolverine-peer";
        options.PersistMessagesWithPostgresql(settings.Postgres, settings.Schema);

        var rabbitMq = options.UseRabbitMq(settings.RabbitMq).AutoProvision();
        if (settings.PublisherConfirms)
        {
            // Confirms on and tracked: each publish awaits the broker's ack before the outbox row goes.
            rabbitMq.ConfigureChannelCreation(channel =>
            {
                channel.PublisherConfirmationsEnabled = true;
                channel.PublisherConfirmationTrackingEnabled = true;
            });
        }

        options.Policies.UseDurableOutboxOnAllSendingEndpoints();
        options.Policies.UseDurableInboxOnAllListeners();

        // Handlers are registered explicitly: the api half must not find one and handle the message locally.
        options.Discovery.DisableConventionalDiscovery();
        options.PublishMessage<SendNotification>().ToRabbitQueue(settings.Queue, queue => queue.QueueType = QueueType.quorum);
        if (settings.Handles)
        {
            options.Discovery.IncludeType(typeof(SendNotificationHandler));
            options.ListenToRabbitQueue(settings.Queue, queue => queue.QueueType = QueueType.quorum)
                .MaximumParallelMessages(settings.Parallelism);

            // A transient provider failure is retried, as ours does; the queue's delivery limit stays the backstop.
            options.OnException<HttpRequestException>().RetryWithCooldown(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));
        }
    }
}
