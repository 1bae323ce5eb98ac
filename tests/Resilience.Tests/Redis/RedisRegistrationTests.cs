using Messaging.Resilience.Redis;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Messaging.Resilience.Tests.Redis;

public sealed class RedisRegistrationTests(ServicesFixture services) : IClassFixture<ServicesFixture>
{
    [Fact]
    public async Task AddMessagingRedis_AfterAHealthCheckFallback_IsTheMultiplexerTheHostResolves_AndASecondCallAddsNothing()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:Redis"] = services.RedisConnectionString;

        // What ServiceDefaults' Redis health check registers for hosts without a multiplexer of their own.
        builder.Services.TryAddSingleton<IConnectionMultiplexer>(_ => throw new InvalidOperationException("the health check's fallback"));
        builder.AddMessagingRedis();
        builder.AddMessagingRedis();

        Assert.Equal(2, builder.Services.Count(d => d.ServiceType == typeof(IConnectionMultiplexer)));
        using var host = builder.Build();
        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
        Assert.IsType<ConnectionMultiplexer>(redis);
        await redis.DisposeAsync();
    }
}
