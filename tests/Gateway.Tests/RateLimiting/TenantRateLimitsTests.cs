using Messaging.Gateway.RateLimiting;
using Messaging.Resilience.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Tests.RateLimiting;

public sealed class TenantRateLimitsTests
{
    [Fact]
    public void For_ATenant_GivesItsOwnScopeAndItsTiersRule()
    {
        var options = new GatewayRateLimitingOptions();
        var bronze = RateLimitRule.Create(3, TimeSpan.FromHours(1));
        options.Tenants.Tiers["bronze"] = bronze;
        options.Tenants.Assignments["acme"] = "bronze";
        var tenants = new TenantRateLimits(new Monitor(options));

        var (acmeScope, acmeRule) = tenants.For("acme");
        var (otherScope, otherRule) = tenants.For("other");
        var (again, _) = tenants.For("acme");

        Assert.Equal("tenant:acme", acmeScope);
        Assert.Same(bronze, acmeRule);
        Assert.Equal("tenant:other", otherScope);
        Assert.Same(options.Tenants.Default, otherRule);
        Assert.Same(acmeScope, again);
    }

    [Fact]
    public void For_AfterAReload_UsesTheNewRuleAtOnce()
    {
        var monitor = new Monitor(new GatewayRateLimitingOptions());
        var tenants = new TenantRateLimits(monitor);
        _ = tenants.For("acme");
        var reloaded = new GatewayRateLimitingOptions { Tenants = { Default = RateLimitRule.Create(5, TimeSpan.FromMinutes(1)) } };

        monitor.Value = reloaded;
        var (scope, rule) = tenants.For("acme");

        Assert.Equal("tenant:acme", scope);
        Assert.Same(reloaded.Tenants.Default, rule);
    }

    private sealed class Monitor(GatewayRateLimitingOptions value) : IOptionsMonitor<GatewayRateLimitingOptions>
    {
        public GatewayRateLimitingOptions Value { get; set; } = value;

        public GatewayRateLimitingOptions CurrentValue => Value;

        public GatewayRateLimitingOptions Get(string? name) => Value;

        public IDisposable? OnChange(Action<GatewayRateLimitingOptions, string?> listener) => null;
    }
}
