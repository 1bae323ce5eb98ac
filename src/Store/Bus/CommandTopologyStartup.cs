using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Messaging.Store.Bus;

/// <summary>Declares the command topology once the broker answers; never blocks the host's start.</summary>
internal sealed partial class CommandTopologyStartup(CommandTopologyDeclarer declarer, TimeProvider timeProvider, ILogger<CommandTopologyStartup> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await declarer.EnsureDeclaredAsync(stoppingToken).ConfigureAwait(false);
                return;
            }
            catch (QueueArgumentsMismatchException ex)
            {
                // Not a broker that is starting: nothing changes until the setting or the queues do, so say which.
                Log.ArgumentsMismatch(logger, ex.Message);
                await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromSeconds(30);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The broker may be starting or down: keep trying, more slowly, without failing the host.
                Log.DeclareFailed(logger, ex.GetType().Name);
                await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 30_000));
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1110, EventName = "CommandTopologyDeclareFailed", Level = LogLevel.Warning,
            Message = "Could not declare the command queues yet ({ErrorType}); retrying")]
        public static partial void DeclareFailed(ILogger logger, string errorType);

        [LoggerMessage(EventId = 1111, EventName = "CommandQueueArgumentsMismatch", Level = LogLevel.Error,
            Message = "Could not declare the command queues: {Reason} Retrying every 30 s")]
        public static partial void ArgumentsMismatch(ILogger logger, string reason);
    }
}
