using Messaging.Contracts.Notifications;
using Messaging.Resilience.Pipelines;
using Messaging.Workers.Execution;
using Messaging.Workers.ExternalServices.Notifications;
using Microsoft.Extensions.Options;

namespace Messaging.Workers.Notifications;

/// <summary>The <c>notifications.send</c> endpoint: its queue, concurrency, retry policy and dependencies.</summary>
internal sealed class SendNotificationConsumerDefinition(IOptionsMonitor<CommandTypeOptions> options)
    : CommandConsumerDefinition<SendNotificationConsumer, SendNotification>(SendNotification.TypeName, options)
{
    /// <inheritdoc />
    public override IReadOnlyList<string> Dependencies { get; } = [NotificationsClient.ProviderName, DependencyNames.Postgres];
}
