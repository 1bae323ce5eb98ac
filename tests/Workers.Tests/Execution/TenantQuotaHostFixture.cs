
namespace Messaging.Workers.Tests.Execution;

/// <summary>A Workers host where one tenant may make one payments call per 3 s, and no command waits inline for a permit.</summary>
public sealed class TenantQuotaHostFixture : WorkersHostFixture
{
    public const string Tenant = "tenant-quota";

    public static readonly TimeSpan Window = TimeSpan.FromSeconds(3);

    protected override void Configure(IDictionary<string, string?> configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var key = $"RateLimiting:Providers:payments:Tenants:{Tenant}";
        configuration[$"{key}:PermitLimit"] = "1";
        configuration[$"{key}:Window"] = Window.ToString();
        configuration[$"{key}:Burst"] = "1";
        configuration["RateLimiting:Providers:payments:MaxWait"] = "00:00:00";
    }
}
