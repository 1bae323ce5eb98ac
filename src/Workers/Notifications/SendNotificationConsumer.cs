using MassTransit;
using Messaging.Contracts.Notifications;
using Messaging.Workers.Execution;
using Messaging.Workers.ExternalServices.Notifications;

namespace Messaging.Workers.Notifications;

/// <summary>Executes <c>notifications.send</c>: sends the email or SMS through the notifications provider.</summary>
internal sealed class SendNotificationConsumer(CommandExecutor executor, NotificationsClient notifications) : IConsumer<SendNotification>
{
    public Task Consume(ConsumeContext<SendNotification> context) =>
        executor.ExecuteAsync(context, notifications.SendAsync);
}
