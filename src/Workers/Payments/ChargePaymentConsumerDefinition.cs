using Messaging.Contracts.Payments;
using Messaging.Workers.Execution;
using Microsoft.Extensions.Options;

namespace Messaging.Workers.Payments;

/// <summary>The <c>payments.charge</c> endpoint: its queue, concurrency and retry policy.</summary>
internal sealed class ChargePaymentConsumerDefinition(IOptionsMonitor<CommandTypeOptions> options)
    : CommandConsumerDefinition<ChargePaymentConsumer>(ChargePayment.TypeName, options);
