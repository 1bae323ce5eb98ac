using MassTransit;
using Messaging.Contracts.Payments;
using Messaging.Workers.Execution;
using Messaging.Workers.ExternalServices.Payments;

namespace Messaging.Workers.Payments;

/// <summary>Executes <c>payments.charge</c>: charges the customer through the payments provider.</summary>
internal sealed class ChargePaymentConsumer(CommandExecutor executor, PaymentsClient payments) : IConsumer<ChargePayment>
{
    public Task Consume(ConsumeContext<ChargePayment> context) =>
        executor.ExecuteAsync(context, payments.ChargeAsync);
}
