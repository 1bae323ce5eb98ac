using Messaging.Contracts.Commands;
using Messaging.Contracts.Notifications;
using Messaging.Contracts.Payments;

namespace Messaging.Workers.Execution;

/// <summary>
/// The checks a worker makes on a command message it could read, before executing it. The gateway
/// validates requests more thoroughly; these catch what reached a queue some other way (a hand-made or
/// corrupted message). A message that fails them is poison: dead-lettered, never executed or retried.
/// </summary>
internal static class CommandValidation
{
    /// <summary>A safe reason why <paramref name="message"/> cannot be executed, or null when it can.</summary>
    public static string? Problem(ICommandMessage message) => message switch
    {
        { CommandId: var id } when id == Guid.Empty => "The message has no command id.",
        { Tenant: var tenant } when string.IsNullOrWhiteSpace(tenant) => "The message has no tenant.",
        ChargePayment charge => ChargeProblem(charge),
        SendNotification notification => NotificationProblem(notification),
        _ => null,
    };

    private static string? ChargeProblem(ChargePayment charge)
    {
        if (charge.Amount <= 0)
        {
            return "The amount must be greater than zero.";
        }

        if (charge.Currency is not { Length: 3 } currency || !currency.All(char.IsAsciiLetterUpper))
        {
            return "The currency must be an ISO 4217 code of three upper-case letters.";
        }

        return string.IsNullOrWhiteSpace(charge.CustomerId) ? "The customer id is required." : null;
    }

    private static string? NotificationProblem(SendNotification notification)
    {
        if (notification.Channel is not ("email" or "sms"))
        {
            return "The channel must be 'email' or 'sms'.";
        }

        if (string.IsNullOrWhiteSpace(notification.To))
        {
            return "The recipient is required.";
        }

        if (string.IsNullOrEmpty(notification.Body))
        {
            return "The body is required.";
        }

        return notification.FallbackTo is { } fallback && string.IsNullOrWhiteSpace(fallback) ? "The fallback recipient is empty." : null;
    }
}
