using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Messaging.Resilience.Bus;

/// <summary>Registers MassTransit on RabbitMQ from <c>ConnectionStrings:RabbitMq</c>, the same way in every host.</summary>
public static class MessagingBusExtensions
{
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
        if (string.IsNullOrWhiteSpace(connectionString) || !Uri.TryCreate(connectionString, UriKind.Absolute, out var hostAddress))
        {
            throw new InvalidOperationException("ConnectionStrings:RabbitMq must be an amqp:// URI, for example amqp://guest:guest@127.0.0.1:5672/.");
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
