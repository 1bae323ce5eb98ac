
namespace Messaging.Gateway.Tests.RateLimiting;

public sealed class IpRateLimitFixture : RateLimitedGateway
{
    public const int Limit = 30;

    protected override IDictionary<string, string?> Limits() => new Dictionary<string, string?>
    {
        // A long window: nothing comes back during a test, so "exactly the limit" is exact.
        ["RateLimiting:PerIp:PermitLimit"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimiting:PerIp:Window"] = "01:00:00",
    };
}
