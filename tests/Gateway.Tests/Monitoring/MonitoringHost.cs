namespace Messaging.Gateway.Tests.Monitoring;

/// <summary>A gateway that samples twice a second, so tests see queues and alerts quickly.</summary>
public sealed class MonitoringHost : GatewayHost
{
    public override IDictionary<string, string?> HostConfiguration()
    {
        var configuration = base.HostConfiguration();
        configuration["Monitoring:SampleInterval"] = "00:00:00.500";
        configuration["Alerts:BreakerOpenFor"] = "00:00:00";
        return configuration;
    }
}
