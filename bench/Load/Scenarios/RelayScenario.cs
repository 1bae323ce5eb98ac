using System.Diagnostics;
using System.Globalization;
using Messaging.Load.Baselines;
using Messaging.Load.Infrastructure;
using Messaging.Store.Outbox;

namespace Messaging.Load.Scenarios;

/// <summary>
/// The outbox relay (in this process, wired as in the gateway) against B2 (raw RabbitMQ.Client publishes with
/// tracked confirms), each on its own virtual host with the product's quorum queue:
/// 1. drain: a backlog of <c>--messages</c> rows against as many raw publishes with the same number in flight
///    (the relay's batch size, <c>--concurrency</c> when given, else 100);
/// 2. commit-to-publish latency at a constant rate (<c>--rate</c>, else 50 % of the relay's drain rate): one row
///    per transaction through <see cref="OutboxWriter"/> (the relay woken by the commit signal), read back as
///    sent_at − created_at; B2 at the same rate, publish to confirm.
/// </summary>
internal static class RelayScenario
{
    public static async Task RunAsync(LoadSettings settings, Report report)
    {
        var messages = settings.Messages ?? 20_000;
        var inFlight = settings.ConcurrencyGiven ? settings.Concurrency : 100;
        await using var services = new BenchServices();
        double? rate = settings.Rate;

        if (settings.Runs("ours") && settings.WarmRelay > 0)
        {
            await RelayHost.WarmUpAsync(services, settings.WarmRelay, settings.Payload, inFlight).ConfigureAwait(false);
        }

        if (settings.Runs("ours"))
        {
            var postgres = await services.CreateDatabaseAsync().ConfigureAwait(false);
            var rabbitMq = await services.CreateVirtualHostAsync().ConfigureAwait(false);
            await MassTransitApi.DeclareTopologyAsync(rabbitMq).ConfigureAwait(false);
            await OutboxRows.InsertBacklogAsync(postgres, messages, settings.Payload).ConfigureAwait(false);

            var usage = new UsageProbe();
            usage.Start();
            var watch = Stopwatch.StartNew();
            await using var relay = await RelayHost.StartAsync(postgres, rabbitMq, services, inFlight).ConfigureAwait(false);
            while (await OutboxRows.PendingAsync(relay.DataSource).ConfigureAwait(false) > 0 && watch.Elapsed < TimeSpan.FromMinutes(10))
            {
                await Task.Delay(100).ConfigureAwait(false);
            }

            usage.Stop();
            var drainRate = await OutboxRows.SteadyPublishRateAsync(relay.DataSource, 0).ConfigureAwait(false);
            report.Add(new ReportRow("ours: outbox relay", Role.Ours, $"drain {messages}", LoadResult.Of(messages, messages / drainRate, double.NaN, double.NaN, double.NaN, usage.Result),
                $"batch {inFlight}"));
            rate ??= Math.Max(1, Math.Round(drainRate / 2));

            var after = await OutboxRows.MaxIdAsync(relay.DataSource).ConfigureAwait(false);
            var load = await LoadRunner.OpenModelAsync(rate.Value, TimeSpan.Zero, settings.Duration, ct => relay.WriteRowAsync(settings.Payload, ct))
                .ConfigureAwait(false);
            watch.Restart();
            while (await OutboxRows.PendingAsync(relay.DataSource).ConfigureAwait(false) > 0 && watch.Elapsed < TimeSpan.FromMinutes(1))
            {
                await Task.Delay(100).ConfigureAwait(false);
            }

            var (count, p50, p99, max) = await OutboxRows.PublishLatencyAsync(relay.DataSource, after).ConfigureAwait(false);
            report.Add(new ReportRow("ours: outbox relay", Role.Ours, $"open {rate.Value.ToString("0", CultureInfo.InvariantCulture)}/s",
                LoadResult.Of(count, settings.Duration.TotalSeconds, p50, p99, max, load.Usage), "commit → confirmed and marked sent"));
        }

        if (settings.Runs("b2"))
        {
            var rabbitMq = await services.CreateVirtualHostAsync().ConfigureAwait(false);
            await using var publisher = await RawRabbitPublisher.StartAsync(rabbitMq, settings.Payload, inFlight).ConfigureAwait(false);
            var (drained, drainRate) = await DrainRawAsync(publisher, messages, inFlight).ConfigureAwait(false);
            report.Add(new ReportRow("B2: raw RabbitMQ.Client", Role.Baseline, $"drain {messages}", drained, $"{inFlight} in flight"));
            rate ??= Math.Max(1, Math.Round(drainRate / 2));

            var load = await LoadRunner.OpenModelAsync(rate.Value, TimeSpan.FromSeconds(1), settings.Duration, publisher.PublishAsync).ConfigureAwait(false);
            report.Add(new ReportRow("B2: raw RabbitMQ.Client", Role.Baseline, $"open {rate.Value.ToString("0", CultureInfo.InvariantCulture)}/s", load, "publish → confirm"));
        }
    }

    /// <summary>B2's drain: <paramref name="messages"/> publishes with at most <paramref name="inFlight"/> awaiting their confirms.</summary>
    public static async Task<(LoadResult Result, double Rate)> DrainRawAsync(RawRabbitPublisher publisher, int messages, int inFlight)
    {
        var drain = new Drain(messages);
        var usage = new UsageProbe();
        usage.Start();
        using var window = new SemaphoreSlim(inFlight);
        var publishes = new List<Task>(messages);
        for (var i = 0; i < messages; i++)
        {
            await window.WaitAsync().ConfigureAwait(false);
            publishes.Add(PublishOneAsync(publisher, window, drain));
        }

        await Task.WhenAll(publishes).ConfigureAwait(false);
        usage.Stop();
        var rate = drain.SteadyRate();
        return (LoadResult.Of(messages, messages / rate, double.NaN, double.NaN, double.NaN, usage.Result), rate);
    }

    private static async Task PublishOneAsync(RawRabbitPublisher publisher, SemaphoreSlim window, Drain drain)
    {
        try
        {
            await publisher.PublishAsync(CancellationToken.None).ConfigureAwait(false);
            drain.Completed();
        }
        finally
        {
            window.Release();
        }
    }
}
