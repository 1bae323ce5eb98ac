using System.Globalization;
using System.Net;
using Messaging.Testing;

namespace Messaging.Gateway.Tests.RateLimiting;

/// <summary>A gateway whose Redis is reached through a <see cref="TcpProxy"/> the tests can cut or stall.</summary>
public sealed class RedisOutageFixture : RateLimitedGateway
{
    public const int Limit = 20;
    private TcpProxy? _proxy;

    public TcpProxy Proxy => _proxy ?? throw new InvalidOperationException("Not initialized.");

    public override async ValueTask InitializeAsync()
    {
        var redis = RedisConnectionString.Split(',')[0].Split(':');
        _proxy = new TcpProxy(new IPEndPoint(IPAddress.Parse(redis[0]), redis.Length > 1 ? int.Parse(redis[1], CultureInfo.InvariantCulture) : 6379));
        await base.InitializeAsync();
    }

    protected override IDictionary<string, string?> Limits() => new Dictionary<string, string?>
    {
        ["ConnectionStrings:Redis"] = $"127.0.0.1:{Proxy.Port},connectTimeout=1000,asyncTimeout=1000,syncTimeout=1000",
        ["RateLimiting:PerIp:PermitLimit"] = Limit.ToString(CultureInfo.InvariantCulture),
        ["RateLimiting:PerIp:Window"] = "01:00:00",
        ["RateLimiting:InstanceShare"] = "0.5",
        ["RateLimiting:ProbeInterval"] = "00:00:00.500",
        ["Resilience:Dependencies:redis:Breaker:BreakDuration"] = "00:00:00.500",
        // The production figures (the base fixture is more patient, for exact counts).
        ["Resilience:Dependencies:redis:AttemptTimeout"] = "00:00:00.250",
        ["Resilience:Dependencies:redis:TotalTimeout"] = "00:00:00.500",
        ["Resilience:Dependencies:redis:Breaker:SlowCallThreshold"] = "00:00:00.200",
    };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }
    }
}
