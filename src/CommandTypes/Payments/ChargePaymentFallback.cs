using Messaging.Contracts.Events;
using Messaging.Contracts.Payments;

namespace Messaging.CommandTypes.Payments;

/// <summary>A dead-lettered charge publishes <see cref="PaymentFailed"/>, so whoever started the payment can compensate.</summary>
internal sealed class ChargePaymentFallback : ICommandFallback<ChargePayment>
{
    public async Task<string?> RunAsync(ChargePayment command, CommandFallbackContext context)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        await context.PublishAsync(new PaymentFailed
        {
            CommandId = command.CommandId,
            Tenant = context.Tenant,
            Amount = command.Amount,
            Currency = command.Currency,
            CustomerId = command.CustomerId,
            Reason = context.Reason,
            FailedAt = context.Now,
        }).ConfigureAwait(false);
        return nameof(PaymentFailed) + " published";
    }
}
