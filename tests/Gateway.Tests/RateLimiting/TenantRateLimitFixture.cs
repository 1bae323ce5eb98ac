namespace Messaging.Gateway.Tests.RateLimiting;

public sealed class TenantRateLimitFixture : RateLimitedGateway
{
    protected override IDictionary<string, string?> Limits() => new Dictionary<string, string?>
    {
        ["RateLimiting:Tenants:Default:PermitLimit"] = "1000",
        ["RateLimiting:Tenants:Tiers:bronze:PermitLimit"] = "3",
        ["RateLimiting:Tenants:Tiers:bronze:Window"] = "01:00:00",
        ["RateLimiting:Tenants:Assignments:tenant-bronze"] = "bronze",
        ["RateLimiting:Tenants:Assignments:tenant-bronze-batch"] = "bronze",
        ["RateLimiting:Tenants:Assignments:tenant-bronze-batch-big"] = "bronze",
    };
}
