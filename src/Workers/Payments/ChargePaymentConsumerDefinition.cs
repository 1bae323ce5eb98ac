using Messaging.Contracts.Payments;
using Messaging.Resilience.Pipelines;
using Messaging.Workers.Execution;
using Messaging.Workers.ExternalServices.Payments;
using Microsoft.Extensions.Options;

namespace Messaging.Workers.Payments;

/// <summary>The <c>payments.charge</c> endpoint: its queue, concurrency, retry policy and dependencies.</summary>
internal sealed class ChargePaymentConsumerDefinition(IOptionsMonitor<CommandTypeOptions> options)
    : CommandConsumerDefinition<ChargePaymentConsumer, ChargePayment>(ChargePayment.TypeName, options)
{
    /// <inheritdoc />
    public override IReadOnlyList<string> Dependencies { get; } = [PaymentsClient.ProviderName, DependencyNames.Postgres];
}
