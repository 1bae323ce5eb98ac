using Microsoft.Extensions.Options;
using RabbitMQ.Client.Exceptions;

namespace Messaging.Gateway.Monitoring;

/// <summary>
/// Reads the queues from the management API and falls back to AMQP passive declares while the API does not answer
/// (trying it again after <see cref="RabbitMqManagementOptions.RetryAfter"/>). Keeps a short history per queue for
/// the page's sparklines, and estimates rates from successive depths when the source gives none.
/// </summary>
internal sealed partial class QueueStatisticsReader(
    ManagementApiQueueSource management,
    AmqpQueueSource amqp,
    IOptionsMonitor<RabbitMqManagementOptions> managementOptions,
    IOptionsMonitor<MonitoringOptions> monitoringOptions,
    TimeProvider timeProvider,
    ILogger<QueueStatisticsReader> logger)
{
    private readonly Dictionary<string, Queue<long>> _history = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DateTimeOffset At, long Ready)> _previous = new(StringComparer.Ordinal);
    private DateTimeOffset? _managementFailedAt;

    /// <summary>The queues now, or null when neither source answered.</summary>
    public async Task<IReadOnlyList<QueueView>?> ReadAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        IReadOnlyList<QueueReading>? readings = null;
        IQueueStatisticsSource source = management;
        if (_managementFailedAt is not { } failedAt || now - failedAt >= managementOptions.CurrentValue.RetryAfter)
        {
            try
            {
                readings = await management.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (_managementFailedAt is not null)
                {
                    _managementFailedAt = null;
                    Log.ManagementRestored(logger);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
            {
                if (_managementFailedAt is null)
                {
                    Log.ManagementUnavailable(logger, ex.GetType().Name);
                }

                _managementFailedAt = now;
            }
        }

        if (readings is null)
        {
            source = amqp;
            try
            {
                readings = await amqp.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is BrokerUnreachableException or AlreadyClosedException or OperationInterruptedException or IOException
                or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                Log.AmqpUnavailable(logger, ex.GetType().Name);
                return null;
            }
        }

        var length = monitoringOptions.CurrentValue.HistoryLength;
        var views = new List<QueueView>(readings.Count);
        foreach (var reading in readings)
        {
            var (publishRate, deliverRate) = (reading.PublishRate, reading.DeliverRate);
            if ((publishRate is null || deliverRate is null) && _previous.TryGetValue(reading.Name, out var previous) && now > previous.At)
            {
                // Only the net change is known: a rising depth is at least that many messages in, a falling one out.
                var net = (reading.Ready - previous.Ready) / (now - previous.At).TotalSeconds;
                publishRate ??= Math.Round(Math.Max(0, net), 2);
                deliverRate ??= Math.Round(Math.Max(0, -net), 2);
            }

            _previous[reading.Name] = (now, reading.Ready);
            if (!_history.TryGetValue(reading.Name, out var history))
            {
                history = new Queue<long>();
                _history[reading.Name] = history;
            }

            history.Enqueue(reading.Ready);
            while (history.Count > length)
            {
                history.Dequeue();
            }

            views.Add(new QueueView(reading.Name, reading.Ready, reading.Unacked, reading.Consumers,
                publishRate is { } p ? Math.Round(p, 2) : null, deliverRate is { } d ? Math.Round(d, 2) : null, source.Name, history.ToArray()));
        }

        return views;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7010, EventName = "RabbitMqManagementUnavailable", Level = LogLevel.Warning,
            Message = "The RabbitMQ management API did not answer ({ErrorType}); reading queues over AMQP (depth and consumers only) until it does")]
        public static partial void ManagementUnavailable(ILogger logger, string errorType);

        [LoggerMessage(EventId = 7011, EventName = "RabbitMqManagementRestored", Level = LogLevel.Information,
            Message = "The RabbitMQ management API answers again; queues are read from it")]
        public static partial void ManagementRestored(ILogger logger);

        [LoggerMessage(EventId = 7012, EventName = "QueuesUnreadable", Level = LogLevel.Warning,
            Message = "Could not read the queues over AMQP either ({ErrorType}); the overview shows none this time")]
        public static partial void AmqpUnavailable(ILogger logger, string errorType);
    }
}
