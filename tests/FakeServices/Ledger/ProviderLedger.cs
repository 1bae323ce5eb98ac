using Messaging.FakeServices.Instances;
using Messaging.FakeServices.Providers;
using Microsoft.Extensions.Options;

namespace Messaging.FakeServices.Ledger;

/// <summary>The ledgers of the providers (one per provider backend, shared by its instances).</summary>
internal sealed partial class ProviderLedger(IOptions<FakeServicesOptions> options, ILogger<ProviderLedger> logger)
{
    private readonly LedgerBook _payments = new(ProviderKind.Payments, options.Value.Ledger.MaxRequestLogEntries);
    private readonly LedgerBook _notifications = new(ProviderKind.Notifications, options.Value.Ledger.MaxRequestLogEntries);
    private readonly LedgerBook _shipping = new(ProviderKind.Shipping, options.Value.Ledger.MaxRequestLogEntries);
    private readonly LedgerBook _crm = new(ProviderKind.Crm, options.Value.Ledger.MaxRequestLogEntries);

    public LedgerBook For(ProviderKind provider) => provider switch
    {
        ProviderKind.Payments => _payments,
        ProviderKind.Notifications => _notifications,
        ProviderKind.Shipping => _shipping,
        ProviderKind.Crm => _crm,
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, null),
    };

    public void Reset(ProviderKind? provider)
    {
        if (provider is { } one)
        {
            For(one).Reset();
        }
        else
        {
            _payments.Reset();
            _notifications.Reset();
            _shipping.Reset();
            _crm.Reset();
        }

        Log.LedgerReset(logger, provider?.ToWireName() ?? "all");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, EventName = "LedgerReset", Level = LogLevel.Information, Message = "Ledger reset ({Provider})")]
        public static partial void LedgerReset(ILogger logger, string provider);
    }
}
