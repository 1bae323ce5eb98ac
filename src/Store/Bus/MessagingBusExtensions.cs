using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Messaging.Store.Bus;

/// <summary>Registers MassTransit on RabbitMQ from <c>ConnectionStrings:RabbitMq</c>, the same way in every host.</summary>
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
        var connectionString = builder.Configuration.GetConnectionString("RabbitMq");
        if (string.IsNullOrWhiteSpace(connectionString)
            || !Uri.TryCreate(connectionString, UriKind.Absolute, out var hostAddress)
            || hostAddress.Scheme is not ("amqp" or "amqps"))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:RabbitMq must be an amqp:// or amqps:// URI with the virtual host as its path, for example amqp://guest:guest@127.0.0.1:5672/.");
        }

        builder.Services.AddMassTransit(x =>
        {
            configureRegistration?.Invoke(x);
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(hostAddress, host => host.PublisherConfirmation = true);
                configureBus?.Invoke(context, cfg);
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder;
    }
}
