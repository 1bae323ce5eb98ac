using Messaging.Contracts.Commands;
using Messaging.Resilience.Classification;
using Messaging.Store.Bus;
using Messaging.Workers.Execution;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Messaging.Workers.DeadLetters;

/// <summary>
/// Drains the queues where messages land that the consumers could not take into the dead-letter store:
/// each command queue's <c>_error</c> (unreadable bodies, unexpected faults) and <c>_skipped</c> (unknown
/// types), and the broker's <c>messaging.dead-letters</c> (a quorum queue's delivery limit: the backstop for
/// a message that crashes its consumer again and again). It consumes with RabbitMQ.Client, one channel
/// and one message at a time per queue, stores each message whole (<see cref="DrainedMessages"/>) with its
/// command dead-lettered and the fallback run (<see cref="DeadLetterWriter"/>), and acknowledges it only
/// after the commit. While PostgreSQL is unreachable it holds the message and tries again, so nothing is
/// lost and nothing loops through the broker.
/// </summary>
internal sealed partial class DeadLetterDrain(
    IConfiguration configuration,
    CommandTypeRegistry commandTypes,
    DeadLetterWriter writer,
    IOptions<DeadLetterDrainOptions> options,
    TimeProvider timeProvider,
    ILogger<DeadLetterDrain> logger) : BackgroundService
{
    /// <summary>The queues drained: every command queue's fault queues, then the broker's dead-letter queue.</summary>
    public IReadOnlyList<string> Queues { get; } =
        [.. commandTypes.All.SelectMany(c => CommandTopology.FaultQueues(c.QueueName)), CommandTopology.DeadLetterQueue];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        var delay = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DrainAsync(stoppingToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The broker may be starting or down: try again, more slowly, without stopping the host.
                Log.DrainFailed(logger, ex.GetType().Name, delay.TotalMilliseconds);
                await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
                delay = Min(delay * 2, options.Value.MaxRetryDelay);
            }
        }
    }

    private async Task DrainAsync(CancellationToken stoppingToken)
    {
        var broker = RabbitMqBroker.FromConfiguration(configuration);
        var factory = broker.CreateConnectionFactory("messaging-dead-letter-drain");
        factory.AutomaticRecoveryEnabled = true;
        factory.TopologyRecoveryEnabled = true;
        await using var connection = await broker.ConnectAsync(factory, stoppingToken).ConfigureAwait(false);
        await using (var declare = await connection.CreateChannelAsync(cancellationToken: stoppingToken).ConfigureAwait(false))
        {
            await CommandTopology.DeclareAsync(declare, commandTypes, broker.QuorumInitialGroupSize, stoppingToken).ConfigureAwait(false);
            await CommandTopology.DeclareFaultQueuesAsync(declare, commandTypes, broker.QuorumInitialGroupSize, stoppingToken).ConfigureAwait(false);
            await declare.CloseAsync(stoppingToken).ConfigureAwait(false);
        }

        var channels = new List<IChannel>();
        try
        {
            foreach (var queue in Queues)
            {
                var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
                channels.Add(channel);
                await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: 1, global: false, stoppingToken).ConfigureAwait(false);
                var consumer = new AsyncEventingBasicConsumer(channel);
                consumer.ReceivedAsync += (_, delivery) => StoreAsync(channel, queue, delivery, stoppingToken);
                await channel.BasicConsumeAsync(queue, autoAck: false, consumer, stoppingToken).ConfigureAwait(false);
            }

            Log.Draining(logger, string.Join(", ", Queues));
            await Task.Delay(Timeout.InfiniteTimeSpan, timeProvider, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var channel in channels)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task StoreAsync(IChannel channel, string queue, BasicDeliverEventArgs delivery, CancellationToken stoppingToken)
    {
        var drained = DrainedMessages.Read(commandTypes, queue, delivery.BasicProperties, delivery.Body, timeProvider.GetUtcNow());
        var delay = TimeSpan.FromMilliseconds(200);
        var failures = 0;
        while (true)
        {
            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await writer.RecordAsync(drained.Letter, drained.Command, stoppingToken).ConfigureAwait(false);
                break;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Not acknowledged: the broker gives the message to the next drain.
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures++;
                if (!DependencyUnavailable.IsPostgresUnavailable(ex) && failures >= 3)
                {
                    // Something in the message itself keeps it from being stored as it is: keep its bytes instead.
                    Log.StoredAsBytes(logger, queue, ex.GetType().Name);
                    drained = Raw(queue, drained, delivery);
                    failures = 0;
                    continue;
                }

                Log.StoreFailed(logger, queue, ex.GetType().Name, delay.TotalMilliseconds);
                await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
                delay = Min(delay * 2, options.Value.MaxRetryDelay);
            }
        }

        try
        {
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.AlreadyClosedException or RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            // The channel closed after the commit: the broker delivers the message again and it is stored a
            // second time (at least once, never lost).
            Log.AckFailed(logger, queue, ex.GetType().Name);
        }
    }

    // The message as bytes with the queue named: what is always storable.
    private DrainedMessage Raw(string queue, DrainedMessage drained, BasicDeliverEventArgs delivery) => new(
        drained.Letter with
        {
            Body = Convert.ToBase64String(delivery.Body.Span),
            Headers = new Dictionary<string, string>
            {
                [DrainedMessages.QueueHeader] = queue,
                [DrainedMessages.BodyEncodingHeader] = "base64",
            },
            CommandId = null,
            Reason = drained.Letter.Reason + " (stored as bytes: it could not be stored as received)",
        },
        null);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static partial class Log
    {
        [LoggerMessage(EventId = 4035, EventName = "DeadLetterDrainStarted", Level = LogLevel.Information,
            Message = "Draining {Queues} into the dead-letter store")]
        public static partial void Draining(ILogger logger, string queues);

        [LoggerMessage(EventId = 4036, EventName = "DeadLetterDrainFailed", Level = LogLevel.Warning,
            Message = "The dead-letter drain could not consume ({ErrorType}); retrying in {DelayMs} ms")]
        public static partial void DrainFailed(ILogger logger, string errorType, double delayMs);

        [LoggerMessage(EventId = 4037, EventName = "DeadLetterStoreFailed", Level = LogLevel.Warning,
            Message = "A message from {Queue} could not be stored yet ({ErrorType}); it is held and tried again in {DelayMs} ms")]
        public static partial void StoreFailed(ILogger logger, string queue, string errorType, double delayMs);

        [LoggerMessage(EventId = 4039, EventName = "DeadLetterAckFailed", Level = LogLevel.Warning,
            Message = "A message from {Queue} was stored but could not be acknowledged ({ErrorType}); it will be stored again when redelivered")]
        public static partial void AckFailed(ILogger logger, string queue, string errorType);

        [LoggerMessage(EventId = 4038, EventName = "DeadLetterStoredAsBytes", Level = LogLevel.Error,
            Message = "A message from {Queue} could not be stored as received ({ErrorType}); storing its bytes instead")]
        public static partial void StoredAsBytes(ILogger logger, string queue, string errorType);
    }
}

/// <summary>Registers the dead-letter drain.</summary>
internal static class DeadLetterDrainExtensions
{
    /// <summary>
    /// Adds <see cref="DeadLetterDrain"/> (section <c>DeadLetters:Drain</c>): the fault queues and the
    /// broker's dead-letter queue drained into the dead-letter store. Requires <c>AddCommandConsumers()</c>.
    /// </summary>
    public static IHostApplicationBuilder AddDeadLetterDrain(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<DeadLetterDrainOptions>()
            .Bind(builder.Configuration.GetSection(DeadLetterDrainOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddHostedService<DeadLetterDrain>();
        return builder;
    }
}
