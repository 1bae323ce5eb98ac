using System.Net;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Classification;
using Messaging.Resilience.Pipelines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;

namespace Messaging.Resilience.Tests.Pipelines;

public sealed class DependencyPipelineRegistryTests : IDisposable
{
    private readonly IConfigurationRoot _configuration = new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Resilience:Dependencies:dep:Retry:MaxRetryAttempts"] = "0",
            ["Resilience:Dependencies:dep:Breaker:MinimumThroughput"] = "2",
            ["Resilience:Dependencies:dep:Breaker:SlowCallThreshold"] = null,
        })
        .Build();

    private readonly ServiceProvider _services;

    public DependencyPipelineRegistryTests()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero)));
        services.AddDependencyOptions(_configuration, "dep");
        _services = services.BuildServiceProvider();
    }

    private ResiliencePipelineRegistry<string> Registry => _services.GetRequiredService<ResiliencePipelineRegistry<string>>();

    private BreakerRegistry Breakers => _services.GetRequiredService<BreakerRegistry>();

    private ResiliencePipeline<HttpResponseMessage> Instance(string name) =>
        Registry.GetOrAddDependencyPipeline<HttpResponseMessage>(_services, name, "dep", TransientFailures.Http);

    [Fact]
    public async Task Instances_HaveTheirOwnBreakers_AndShareTheDependencysBudget()
    {
        var a = Instance("dep@a:1");
        var b = Instance("dep@b:2");

        for (var i = 0; i < 2; i++)
        {
            using var failed = await a.ExecuteAsync(_ => ValueTask.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)), TestContext.Current.CancellationToken);
        }

        using var ok = await b.ExecuteAsync(_ => ValueTask.FromResult(new HttpResponseMessage(HttpStatusCode.OK)), TestContext.Current.CancellationToken);

        Assert.Equal(BreakerState.Open, Breakers.GetState("dep@a:1"));
        Assert.Equal(BreakerState.Closed, Breakers.GetState("dep@b:2"));
        await Assert.ThrowsAsync<BrokenCircuitException>(async () =>
            await a.ExecuteAsync(_ => ValueTask.FromResult(new HttpResponseMessage(HttpStatusCode.OK)), TestContext.Current.CancellationToken));
        Assert.Equal(4, _services.GetRequiredService<RetryBudgets>().For("dep").Snapshot().Calls);
    }

    [Fact]
    public void GetOrAdd_ReturnsTheSamePipelineForAName()
    {
        Assert.Same(Instance("dep@a:1"), Instance("dep@a:1"));
        Assert.NotSame(Instance("dep@a:1"), Instance("dep@b:2"));
    }

    [Fact]
    public async Task Instances_AreRebuiltWhenTheDependencysSettingsChange()
    {
        var a = Instance("dep@a:1");
        _configuration["Resilience:Dependencies:dep:Breaker:MinimumThroughput"] = "3";
        _configuration.Reload();

        for (var i = 0; i < 2; i++)
        {
            using var failed = await a.ExecuteAsync(_ => ValueTask.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)), TestContext.Current.CancellationToken);
        }

        Assert.Equal(BreakerState.Closed, Breakers.GetState("dep@a:1"));
        using (await a.ExecuteAsync(_ => ValueTask.FromResult(new HttpResponseMessage(HttpStatusCode.BadGateway)), TestContext.Current.CancellationToken))
        {
        }

        Assert.Equal(BreakerState.Open, Breakers.GetState("dep@a:1"));
    }

    public void Dispose()
    {
        _services.Dispose();
        (_configuration as IDisposable)?.Dispose();
    }
}
