using MassTransit;
using Messaging.Contracts.Commands;
using Messaging.Workers.Notifications;
using Messaging.Workers.Payments;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Messaging.Workers.Execution;

/// <summary>Registers command execution and the MassTransit bus with one consumer per command type.</summary>
internal static class ExecutionExtensions
{
    /// <summary>
    /// Adds the per-type options (<c>Commands:Types:&lt;type&gt;</c>), <see cref="CommandStatusStore"/>,
    /// <see cref="CommandExecutor"/> and MassTransit on RabbitMQ (<c>ConnectionStrings:RabbitMq</c>, an
    /// <c>amqp://</c> URI with the virtual host as its path) with the command consumers.
    /// </summary>
    public static IHostApplicationBuilder AddCommandConsumers(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var rabbitMq = RabbitMqUri(builder.Configuration);
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);

        foreach (var command in CommandCatalog.All)
        {
            var key = $"{CommandTypeOptions.SectionName}:{command.TypeName}";
            services.AddOptions<CommandTypeOptions>(command.TypeName)
                .Bind(builder.Configuration.GetSection(key))
                .Validate(o => o.ConcurrencyLimit is >= 1 and <= 1000, $"{key}:ConcurrencyLimit must be between 1 and 1000.")
                .Validate(o => o.RetryLimit is >= 0 and <= 20, $"{key}:RetryLimit must be between 0 and 20.")
                .Validate(o => o.RetryMinInterval > TimeSpan.Zero, $"{key}:RetryMinInterval must be positive.")
                .Validate(o => o.RetryMaxInterval >= o.RetryMinInterval, $"{key}:RetryMaxInterval must not be less than RetryMinInterval.")
                .ValidateOnStart();
        }

        services.AddSingleton<CommandStatusStore>();
        services.AddSingleton<CommandExecutor>();

        services.AddMassTransit(bus =>
        {
            bus.AddConsumer<ChargePaymentConsumer>(typeof(ChargePaymentConsumerDefinition));
            bus.AddConsumer<SendNotificationConsumer>(typeof(SendNotificationConsumerDefinition));
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(rabbitMq);
                rabbit.ConfigureEndpoints(context);
            });
        });
        return builder;
    }

    private static Uri RabbitMqUri(IConfiguration configuration)
    {
        var value = configuration.GetConnectionString("RabbitMq");
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException("ConnectionStrings:RabbitMq is required (an amqp:// URI, for example amqp://guest:guest@127.0.0.1:5672/).");
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
        {
            throw new InvalidOperationException("ConnectionStrings:RabbitMq must be an amqp:// or amqps:// URI.");
        }

        return uri;
    }
}
