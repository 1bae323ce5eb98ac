using System.Net;
using Messaging.Resilience.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Messaging.Resilience.Tests.Redis;

/// <summary>
/// <c>ConnectionStrings:Redis</c> naming Sentinels (<c>serviceName=</c>). The failover itself (a replica promoted by the
/// Sentinels, the multiplexer following it) runs against a real Sentinel in the cluster scenarios.
/// </summary>
public sealed class RedisSentinelConfigurationTests
{
    private const string Sentinels = "127.0.0.1:1,127.0.0.1:2,serviceName=messaging,password=hunter2-redis,connectTimeout=300";

    [Fact]
    public void AServiceName_MakesTheEndpointsSentinels_WhichConnectAsksForTheServicesPrimary()
    {
        var options = ConfigurationOptions.Parse(Sentinels);

        Assert.Equal("messaging", options.ServiceName);
        Assert.Equal(["127.0.0.1:1", "127.0.0.1:2"], options.EndPoints.Select(RedisServiceCollectionExtensions.Describe));
    }

    [Fact]
    public void Describe_IsHostAndPortOnly()
    {
        Assert.Equal("redis-a:6379", RedisServiceCollectionExtensions.Describe(new DnsEndPoint("redis-a", 6379)));
        Assert.Equal("127.0.0.1:26379", RedisServiceCollectionExtensions.Describe(new IPEndPoint(IPAddress.Loopback, 26379)));
        Assert.Equal("(unknown)", RedisServiceCollectionExtensions.Describe(null));
    }

    [Fact]
    public async Task WithNoSentinelAnswering_RedisStillResolves_Disconnected_AndNoLogCarriesThePassword()
    {
        // As with a plain Redis that is down at start: the host starts, and limits fall back to local shares meanwhile.
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:Redis"] = Sentinels;
        builder.Logging.AddFakeLogging();
        builder.AddMessagingRedis();
        using var host = builder.Build();

        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();

        Assert.False(redis.IsConnected);
        var logs = host.Services.GetFakeLogCollector().GetSnapshot();
        Assert.Contains(logs, r => r.Id.Name == "RedisNotConnectedAtStart");
        Assert.DoesNotContain(logs, r => r.Message.Contains("hunter2", StringComparison.Ordinal));
        await redis.DisposeAsync();
    }
}
