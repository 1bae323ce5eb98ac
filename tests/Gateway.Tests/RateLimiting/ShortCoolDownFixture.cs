namespace Messaging.Gateway.Tests.RateLimiting;

public sealed class ShortCoolDownFixture : RateLimitedGateway
{
    protected override IDictionary<string, string?> Limits() => new Dictionary<string, string?>
    {
        // 3 failures, then one more try per second.
        ["RateLimiting:FailedSecrets:PermitLimit"] = "3",
        ["RateLimiting:FailedSecrets:Window"] = "00:00:03",
    };
}
