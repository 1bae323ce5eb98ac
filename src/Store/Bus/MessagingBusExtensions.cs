using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Messaging.Store.Bus;

/// <summary>Registers MassTransit on RabbitMQ from <c>ConnectionStrings:RabbitMq</c> and <c>RabbitMq:Hosts</c> (<see cref="RabbitMqBroker"/>), the same way in every host.</summary>
public static class MessagingBusExtensions
{
    /// <summary>
    /// Declares <see cref="CommandTopology"/> (command queues and the dead-letter exchange) in the background
    /// at start, retrying until the broker answers, so whichever host starts first creates it.
    /// </summary>
    public static IHostApplicationBuilder AddCommandTopology(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<CommandTopologyDeclarer>();
        builder.Services.AddHostedService<CommandTopologyStartup>();
        return builder;
    }

    /// <summary>
    /// Adds the bus. <paramref name="configureRegistration"/> adds consumers; <paramref name="configureBus"/>
    /// adjusts the RabbitMQ configuration (endpoints are configured from the registered consumer definitions).
    /// Publisher confirms are on: a send completes only after the broker has taken responsibility.
    /// </summary>
    public static IHostApplicationBuilder AddMessagingBus(
        this IHostApplicationBuilder builder,
        Action<IBusRegistrationConfigurator>? configureRegistration = null,
        Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator>? configureBus = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Checked here, so a host with a wrong RabbitMQ setting fails at start naming the key.
        var broker = RabbitMqBroker.FromConfiguration(builder.Configuration);
        // Receive endpoints read the queue arguments from it, so they match what the other declarers send.
        builder.Services.TryAddSingleton(broker);
        builder.Services.AddMassTransit(x =>
        {
            configureRegistration?.Invoke(x);
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(broker.Address, host =>
                {
                    host.PublisherConfirmation = true;
                    // With a cluster, MassTransit connects (and reconnects) to the nodes in turn, from the first.
                    if (broker.Endpoints.Count > 1)
                    {
                        host.UseCluster(cluster =>
                        {
                            foreach (var node in broker.Nodes)
                            {
                                cluster.Node(node);
                            }
                        });
                    }
                });
                configureBus?.Invoke(context, cfg);
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder;
    }
}
