using Messaging.Contracts.Events;
using Messaging.Contracts.Notifications;

namespace Messaging.CommandTypes.Notifications;

/// <summary>
/// A dead-lettered notification is sent on the other channel, as a new command of the same tenant and client
/// with the same deadline, when the command names a <c>fallbackTo</c> recipient; otherwise
/// <see cref="NotificationFailed"/> is published. The new command has no fallback recipient, so it cannot loop.
/// </summary>
internal sealed class SendNotificationFallback : ICommandFallback<SendNotification>
{
    public async Task<string?> RunAsync(SendNotification command, CommandFallbackContext context)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        if (command.FallbackTo is not { Length: > 0 } fallbackTo)
        {
            await context.PublishAsync(new NotificationFailed
            {
                CommandId = command.CommandId,
                Tenant = context.Tenant,
                Channel = command.Channel,
                Reason = context.Reason,
                FailedAt = context.Now,
            }).ConfigureAwait(false);
            return nameof(NotificationFailed) + " published";
        }

        var channel = command.Channel == SendNotificationRequest.Email ? SendNotificationRequest.Sms : SendNotificationRequest.Email;
        var id = await context.SubmitAsync(newId => new SendNotification
        {
            CommandId = newId,
            Tenant = context.Tenant,
            Channel = channel,
            To = fallbackTo,
            Subject = channel == SendNotificationRequest.Email ? command.Subject : null,
            Body = command.Body,
        }).ConfigureAwait(false);
        await context.SetResultAsync(new { Fallback = new { CommandId = id, Channel = channel } }).ConfigureAwait(false);
        return $"sent on the other channel as command {id}";
    }
}
