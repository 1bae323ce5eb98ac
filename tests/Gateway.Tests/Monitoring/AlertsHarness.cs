using System.Net;
using Messaging.Gateway.Monitoring;
using Messaging.Resilience.Breakers;
using Messaging.Store.DeadLetters;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace Messaging.Gateway.Tests.Monitoring;

/// <summary>The alert evaluator and its webhook on a fake clock, with a recording webhook endpoint and captured logs.</summary>
internal sealed class AlertsHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _services;

    public AlertsHarness(Action<AlertsOptions>? configure = null, string? webhookUrl = null, Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>? webhook = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Time);
        services.AddLogging(logging => logging.AddFakeLogging());
        services.AddOptions<AlertsOptions>().Configure(o => configure?.Invoke(o));
        services.AddOptions<AlertWebhookOptions>().Configure(o =>
        {
            o.Url = webhookUrl;
            o.QueueLimit = 3;
            o.Timeout = TimeSpan.FromSeconds(1);
        });
        services.AddHttpClient(AlertWebhook.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new Handler(webhook ?? Record));
        services.AddResiliencePipeline(AlertWebhook.PipelineName, (pipeline, context) =>
            AlertWebhook.Configure(pipeline, context.ServiceProvider.GetRequiredService<IOptions<AlertWebhookOptions>>().Value));
        services.AddSingleton<AlertWebhook>();
        services.AddSingleton<AlertEvaluator>();
        _services = services.BuildServiceProvider();
    }

    public FakeTimeProvider Time { get; } = new(Start);

    public AlertEvaluator Evaluator => _services.GetRequiredService<AlertEvaluator>();

    public AlertWebhook Webhook => _services.GetRequiredService<AlertWebhook>();

    public FakeLogCollector Logs => _services.GetRequiredService<FakeLogCollector>();

    public List<string> Posted { get; } = [];

    /// <summary>A sample taken now, with only the given parts known.</summary>
    public MonitoringSample Sample(
        IReadOnlyList<BreakerSnapshot>? breakers = null,
        IReadOnlyList<QueueView>? queues = null,
        OutboxStatistics? outbox = null,
        DeadLetterSummary? deadLetters = null,
        IReadOnlyList<HealthEntry>? health = null,
        SeriesWindow? deadLetterTotals = null,
        IReadOnlyDictionary<string, SeriesWindow>? counters = null) =>
        new(Time.GetUtcNow(), queues, outbox, deadLetters, breakers, health, deadLetterTotals ?? SeriesWindow.Empty,
            counters ?? new Dictionary<string, SeriesWindow>(StringComparer.Ordinal));

    public static QueueView Queue(string name, long ready, int consumers) =>
        new(name, ready, 0, consumers, 0, 0, "management", [ready]);

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private async Task<HttpResponseMessage> Record(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = await request.Content!.ReadAsStringAsync(cancellationToken);
        lock (Posted)
        {
            Posted.Add(body);
        }

        return new HttpResponseMessage(HttpStatusCode.NoContent);
    }

    private sealed class Handler(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> respond) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            respond(request, cancellationToken);
    }
}
