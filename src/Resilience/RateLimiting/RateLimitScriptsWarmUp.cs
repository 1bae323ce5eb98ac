using Messaging.Resilience.Classification;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Messaging.Resilience.RateLimiting;

/// <summary>
/// Opens the Redis connection and loads the limiter's scripts while the host starts. Without it a cold
/// process's first decision (connect, <c>NOSCRIPT</c>, <c>EVAL</c>) could outlast the <c>redis</c> pipeline's
/// timeout on a busy machine and send the instance to its local fallback for a probe interval. Never
/// fails the start: when Redis is not there, the first decision degrades as it would anyway.
/// </summary>
internal sealed partial class RateLimitScriptsWarmUp(IRateLimitStore store, ILogger<RateLimitScriptsWarmUp> logger) : IHostedService
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (store is not RedisRateLimitStore redis)
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Limit);
        try
        {
            await redis.LoadScriptsAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when ((DependencyUnavailable.IsRedisFailure(ex) || ex is OperationCanceledException)
            && !cancellationToken.IsCancellationRequested)
        {
            // Redis away, answering with an error, or slower than this warm-up's own limit: the first decision loads
            // the scripts anyway. Only the host's own token (the start given up) propagates.
            Log.WarmUpFailed(logger, ex.GetType().Name);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 2140, EventName = "RateLimitScriptsWarmUpFailed", Level = LogLevel.Information,
            Message = "Could not load the rate limit scripts at start ({ErrorType}); the first decision will load them")]
        public static partial void WarmUpFailed(ILogger logger, string errorType);
    }
}
