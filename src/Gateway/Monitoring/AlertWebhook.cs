using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Timeout;

namespace Messaging.Gateway.Monitoring;

/// <summary>The JSON body POSTed to <c>Alerts:Webhook:Url</c> when an alert fires or clears.</summary>
/// <param name="Status"><c>firing</c> or <c>resolved</c>.</param>
/// <param name="Rule">The rule.</param>
/// <param name="Severity">Its severity.</param>
/// <param name="Subject">What it is about.</param>
/// <param name="Since">When the condition started.</param>
/// <param name="At">When it fired or cleared.</param>
/// <param name="Message">What is wrong and what to do.</param>
internal sealed record AlertNotification(string Status, string Rule, string Severity, string Subject, DateTimeOffset Since, DateTimeOffset At, string Message);

/// <summary>
/// Sends alert notifications to the optional webhook in the background, through the <c>alerts-webhook</c> resilience
/// pipeline (a total timeout, two retries with backoff, a breaker), so a slow or dead webhook never blocks sampling
/// or alerting. Notifications wait in a bounded queue (<see cref="AlertWebhookOptions.QueueLimit"/>); when it is
/// full the oldest is dropped.
/// </summary>
internal sealed partial class AlertWebhook : BackgroundService
{
    /// <summary>The pipeline's name in the registry.</summary>
    public const string PipelineName = "alerts-webhook";

    private readonly Channel<AlertNotification> _queue;
    private readonly IHttpClientFactory _httpClients;
    private readonly IOptionsMonitor<AlertWebhookOptions> _options;
    private readonly ResiliencePipelineProvider<string> _pipelines;
    private readonly ILogger<AlertWebhook> _logger;

    /// <summary>The name of its HttpClient (no request logging: the URL may carry a token).</summary>
    public const string HttpClientName = "alerts-webhook";

    public AlertWebhook(IHttpClientFactory httpClients, IOptionsMonitor<AlertWebhookOptions> options, ResiliencePipelineProvider<string> pipelines, ILogger<AlertWebhook> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _httpClients = httpClients;
        _options = options;
        _pipelines = pipelines;
        _logger = logger;
        _queue = Channel.CreateBounded<AlertNotification>(new BoundedChannelOptions(options.CurrentValue.QueueLimit)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }, dropped => Log.NotificationDropped(logger, dropped.Rule, dropped.Status));
    }

    /// <summary>Queues a notification; returns at once (nothing is queued when no webhook is configured).</summary>
    public void Enqueue(AlertNotification notification)
    {
        if (!string.IsNullOrWhiteSpace(_options.CurrentValue.Url))
        {
            _queue.Writer.TryWrite(notification);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pipeline = _pipelines.GetPipeline(PipelineName);
        try
        {
            await foreach (var notification in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                var url = _options.CurrentValue.Url;
                if (string.IsNullOrWhiteSpace(url))
                {
                    continue;
                }

                try
                {
                    await pipeline.ExecuteAsync(async token =>
                    {
                        using var http = _httpClients.CreateClient(HttpClientName);
                        using var response = await http.PostAsJsonAsync(new Uri(url), notification, token).ConfigureAwait(false);
                        response.EnsureSuccessStatusCode();
                    }, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
                    or TaskCanceledException && !stoppingToken.IsCancellationRequested)
                {
                    // Only the kind of failure: the URL may carry a token.
                    Log.NotificationFailed(_logger, notification.Rule, notification.Status, ex.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: unsent notifications are dropped.
        }
    }

    /// <summary>Builds the webhook's pipeline: total timeout, retries with backoff and jitter, breaker, attempt timeout.</summary>
    internal static void Configure(ResiliencePipelineBuilder builder, AlertWebhookOptions options)
    {
        builder
            .AddTimeout(options.Timeout * 4)
            .AddRetry(new Polly.Retry.RetryStrategyOptions
            {
                MaxRetryAttempts = 2,
                Delay = TimeSpan.FromSeconds(1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<TimeoutRejectedException>(),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = TimeSpan.FromMinutes(1),
                BreakDuration = TimeSpan.FromMinutes(1),
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<TimeoutRejectedException>(),
            })
            .AddTimeout(options.Timeout);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7020, EventName = "AlertWebhookFailed", Level = LogLevel.Warning,
            Message = "Could not deliver the {Status} notification of alert {Rule} to the webhook ({ErrorType}); it is dropped")]
        public static partial void NotificationFailed(ILogger logger, string rule, string status, string errorType);

        [LoggerMessage(EventId = 7021, EventName = "AlertWebhookQueueFull", Level = LogLevel.Warning,
            Message = "The alert webhook queue is full: the oldest notification ({Status} of {Rule}) is dropped")]
        public static partial void NotificationDropped(ILogger logger, string rule, string status);
    }
}
