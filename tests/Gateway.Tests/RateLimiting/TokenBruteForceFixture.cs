namespace Messaging.Gateway.Tests.RateLimiting;

public sealed class TokenBruteForceFixture : RateLimitedGateway
{
    public const int FailedSecretBound = 10;

    protected override IDictionary<string, string?> Limits() => new Dictionary<string, string?>
    {
        ["RateLimiting:FailedSecrets:PermitLimit"] = FailedSecretBound.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimiting:FailedSecrets:Window"] = "01:00:00",
        ["RateLimiting:Routes:auth:PerIp:PermitLimit"] = "20",
        ["RateLimiting:Routes:auth:PerIp:Window"] = "01:00:00",
    };
}
