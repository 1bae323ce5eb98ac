using Messaging.Contracts.Notifications;
using Messaging.Workers.Execution;
using Microsoft.Extensions.Options;

namespace Messaging.Workers.Notifications;

/// <summary>The <c>notifications.send</c> endpoint: its queue, concurrency and retry policy.</summary>
internal sealed class SendNotificationConsumerDefinition(IOptionsMonitor<CommandTypeOptions> options)
    : CommandConsumerDefinition<SendNotificationConsumer>(SendNotification.TypeName, options);
