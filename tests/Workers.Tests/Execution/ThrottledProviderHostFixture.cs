
namespace Messaging.Workers.Tests.Execution;

/// <summary>A Workers host with a generous global payments quota, so that only a provider's 429 can hold calls back.</summary>
public sealed class ThrottledProviderHostFixture : WorkersHostFixture
{
    protected override void Configure(IDictionary<string, string?> configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration["RateLimiting:Providers:payments:Global:PermitLimit"] = "1000";
        configuration["RateLimiting:Providers:payments:Global:Window"] = "00:00:01";
        configuration["RateLimiting:Providers:payments:MaxWait"] = "00:00:00.500";
    }
}
