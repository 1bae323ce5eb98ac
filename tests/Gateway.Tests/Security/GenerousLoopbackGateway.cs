namespace Messaging.Gateway.Tests.Security;

/// <summary>
/// <see cref="LoopbackKestrelGateway"/> with every rate limit raised out of reach (per IP, per route, per tenant, failed
/// and legacy secret checks), so that a fuzzer's thousands of requests reach the handlers instead of being answered
/// 429 by the door. Bulkheads and timeouts stay as in production.
/// </summary>
public sealed class GenerousLoopbackGateway : LoopbackKestrelGateway
{
    private const string OutOfReach = "10000000";

    public override IDictionary<string, string?> HostConfiguration()
    {
        var configuration = base.HostConfiguration();
        configuration["RateLimiting:PerIp:PermitLimit"] = OutOfReach;
        configuration["RateLimiting:Routes:auth:PerIp:PermitLimit"] = OutOfReach;
        configuration["RateLimiting:Tenants:Default:PermitLimit"] = OutOfReach;
        configuration["RateLimiting:FailedSecrets:PermitLimit"] = OutOfReach;
        configuration["RateLimiting:LegacySecretChecks:PermitLimit"] = OutOfReach;
        return configuration;
    }
}
