using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.Redis;
using Messaging.Resilience.Signing;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Polly.Registry;
using StackExchange.Redis;

namespace Messaging.Resilience.Tests.Breakers;

/// <summary>
/// Attacks on the breaker-control channel on Redis: whoever can publish there must not isolate the fleet's breakers.
/// Unsigned, badly signed and stale messages are ignored; a signed, fresh one is applied.
/// </summary>
public sealed class SharedBreakerControlTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private readonly ServicesFixture _services = new();
    private readonly List<IHost> _hosts = [];

    public ValueTask InitializeAsync() => _services.InitializeAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
        }

        await _services.DisposeAsync();
    }

    [Theory]
    [InlineData("unsigned")]
    [InlineData("another key")]
    [InlineData("tampered name")]
    [InlineData("not json")]
    [InlineData("31 s old")]
    [InlineData("31 s ahead")]
    public async Task AForgedOrStaleControlMessage_IsIgnored(string forgery)
    {
        var time = new FakeTimeProvider(Now);
        var states = (await StartHostAsync(time)).Services.GetRequiredService<SharedBreakerStates>();
        var at = Now.ToUnixTimeMilliseconds();
        var message = forgery switch
        {
            "unsigned" => Control("postgres", BreakerAction.Isolate, at, signature: null),
            "another key" => Control("postgres", BreakerAction.Isolate, at, SignerWith(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)))),
            "tampered name" => Control("postgres", BreakerAction.Isolate, at, SignerWith(ServicesFixture.MessageSigningKey)).Replace("postgres", "redis", StringComparison.Ordinal),
            "not json" => "{\"Name\":",
            "31 s old" => Control("postgres", BreakerAction.Isolate, at - 31_000, SignerWith(ServicesFixture.MessageSigningKey)),
            _ => Control("postgres", BreakerAction.Isolate, at + 31_000, SignerWith(ServicesFixture.MessageSigningKey)),
        };

        Assert.Null(states.Accept(message));
        Assert.NotNull(states.Accept(Control("postgres", BreakerAction.Isolate, at - 29_000, SignerWith(ServicesFixture.MessageSigningKey))));
    }

    [Fact]
    public async Task AnUnsignedIsolateOnTheChannel_ChangesNothing_WhileASignedOneIsApplied()
    {
        var receiver = await StartHostAsync(TimeProvider.System);
        var redis = receiver.Services.GetRequiredService<IConnectionMultiplexer>();
        var channel = RedisChannel.Literal(_services.RedisKeyPrefix + "breakers:control");
        var signer = SignerWith(ServicesFixture.MessageSigningKey);

        // Published in this order on one channel, as another process would (every process of one host shares an instance
        // name, so the sender is simulated), until the receiver has subscribed and applied the genuine one: the forgery
        // first, then a genuine isolate of another breaker.
        var registry = receiver.Services.GetRequiredService<BreakerRegistry>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (State(registry, DependencyNames.Redis) != BreakerState.Isolated && DateTime.UtcNow < deadline)
        {
            var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await redis.GetSubscriber().PublishAsync(channel, Control(DependencyNames.Postgres, BreakerAction.Isolate, at, signature: null));
            await redis.GetSubscriber().PublishAsync(channel, Control(DependencyNames.Redis, BreakerAction.Isolate, at, signer));
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Equal(BreakerState.Isolated, State(registry, DependencyNames.Redis));
        Assert.NotEqual(BreakerState.Isolated, State(registry, DependencyNames.Postgres));
    }

    private static BreakerState? State(BreakerRegistry registry, string name) => registry.Snapshot().FirstOrDefault(s => s.Name == name)?.State;

    private static string Control(string name, BreakerAction action, long at, MessageSigner? signer) =>
        JsonSerializer.Serialize(new SharedBreakerStates.ControlMessage(name, action, "another-process", at,
            signer?.Sign("breaker-control", name, action.ToString(), "another-process", at.ToString(CultureInfo.InvariantCulture))));

    private static string Control(string name, BreakerAction action, long at, string? signature) =>
        JsonSerializer.Serialize(new SharedBreakerStates.ControlMessage(name, action, "another-process", at, signature));

    private static MessageSigner SignerWith(string key) => new(new ServiceCollection()
        .Configure<MessageSigningOptions>(options => options.SigningKeys = [key])
        .BuildServiceProvider()
        .GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<MessageSigningOptions>>());

    private async Task<IHost> StartHostAsync(TimeProvider time)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(_services.HostConfiguration());
        builder.Services.AddSingleton(time);
        builder.AddMessagingRedis();
        builder.AddInfrastructurePipelines();
        var host = builder.Build();
        _hosts.Add(host);
        await host.StartAsync(TestContext.Current.CancellationToken);

        // The dependency breakers exist once their pipelines are built.
        var pipelines = host.Services.GetRequiredService<ResiliencePipelineProvider<string>>();
        _ = pipelines.GetPipeline(DependencyNames.Postgres);
        _ = pipelines.GetPipeline(DependencyNames.Redis);
        return host;
    }
}
