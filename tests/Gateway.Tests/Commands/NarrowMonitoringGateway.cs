namespace Messaging.Gateway.Tests.Commands;

/// <summary>A gateway whose monitoring bulkhead holds one request and queues none.</summary>
public sealed class NarrowMonitoringGateway : GatewayHost
{
    public override IDictionary<string, string?> HostConfiguration()
    {
        var configuration = base.HostConfiguration();
        configuration["Outbox:Relay:Enabled"] = "false";
        configuration["Resilience:Routes:monitoring:ConcurrencyLimit"] = "1";
        configuration["Resilience:Routes:monitoring:QueueLimit"] = "0";
        return configuration;
    }
}
