using MassTransit;
using Messaging.Contracts.Notifications;
using Messaging.Load.Infrastructure;
using Messaging.Resilience.Classification;
using Messaging.Store.Bus;
using Messaging.Resilience.Pipelines;
using Polly.Registry;

namespace Messaging.Load.Baselines;

/// <summary>
/// Between B3 and the real workers: a MassTransit consumer on the same quorum queue (the product's queue
/// arguments, same prefetch and concurrency) whose handler runs a no-op through a dependency pipeline built by
/// <c>AddDependencyStrategies</c> (timeout, retry with budget, breaker, slow-call detection, attempt timeout).
/// What the framework and the pipeline cost, without the inbox, the status writes and the provider call.
/// </summary>
internal static class NoOpMassTransitConsumer
{
    public const string Dependency = "load-noop";

    public static async Task ConsumeAsync(string rabbitMq, int prefetch, Drain drain, TimeSpan timeout)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(drain);
        builder.Services.AddDependencyPipeline(builder.Configuration, Dependency, TransientFailures.Http);
        builder.Services.AddMassTransit(x =>
        {
            x.AddConsumer<Consumer>();
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(new Uri(rabbitMq), host => host.PublisherConfirmation = true);
                cfg.ReceiveEndpoint(SendNotification.TypeName, endpoint =>
                {
                    endpoint.ConfigureCommandQueue(quorumInitialGroupSize: null);
                    endpoint.PrefetchCount = prefetch;
                    endpoint.ConcurrentMessageLimit = prefetch;
                    endpoint.ConfigureConsumeTopology = false;
                    endpoint.ConfigureConsumer<Consumer>(context);
                });
            });
        });
        using var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        await drain.WaitAsync(timeout).ConfigureAwait(false);
        await host.StopAsync().ConfigureAwait(false);
    }

    private sealed class Consumer(ResiliencePipelineProvider<string> pipelines, Drain drain) : IConsumer<SendNotification>
    {
        public async Task Consume(ConsumeContext<SendNotification> context)
        {
            await pipelines.GetPipeline(Dependency).ExecuteAsync(static _ => ValueTask.CompletedTask, context.CancellationToken).ConfigureAwait(false);
            drain.Completed();
        }
    }
}
