using System.Diagnostics;
using System.Globalization;
using Messaging.Load.Baselines;
using Messaging.Load.Infrastructure;
using Npgsql;

namespace Messaging.Load.Scenarios;

/// <summary>
/// A backlog drain: <c>--messages</c> (default 100,000) pending outbox rows, then the relay starts (in this
/// process). Reports the steady publish rate against B2 draining as many raw publishes, and this process's
/// managed heap and resident memory sampled during the drain: a relay that held rows in proportion to the
/// backlog would show it here. Target <c>gateway</c> drains the same backlog through the gateway as a process
/// (its relay, with everything else a gateway runs) and samples its resident memory every second.
/// </summary>
internal static class BacklogScenario
{
    public static async Task RunAsync(LoadSettings settings, Report report)
    {
        var messages = settings.Messages ?? 100_000;
        var batch = settings.ConcurrencyGiven ? settings.Concurrency : 100;
        await using var services = new BenchServices();

        if (settings.Runs("ours") && settings.WarmRelay > 0)
        {
            await RelayHost.WarmUpAsync(services, settings.WarmRelay, settings.Payload, batch).ConfigureAwait(false);
        }

        if (settings.Runs("ours"))
        {
            var postgres = await services.CreateDatabaseAsync().ConfigureAwait(false);
            var rabbitMq = await services.CreateVirtualHostAsync().ConfigureAwait(false);
            await MassTransitApi.DeclareTopologyAsync(rabbitMq).ConfigureAwait(false);
            Console.WriteLine($"inserting {messages} outbox rows");
            await OutboxRows.InsertBacklogAsync(postgres, messages, settings.Payload).ConfigureAwait(false);

            GC.Collect();
            var before = Memory();
            var samples = new List<(double Seconds, long Heap, long Resident)>();
            var usage = new UsageProbe();
            usage.Start();
            var watch = Stopwatch.StartNew();
            await using var relay = await RelayHost.StartAsync(postgres, rabbitMq, services, batch).ConfigureAwait(false);
            long pending;
            while ((pending = await OutboxRows.PendingAsync(relay.DataSource).ConfigureAwait(false)) > 0 && watch.Elapsed < TimeSpan.FromMinutes(15))
            {
                var (heap, resident) = Memory();
                samples.Add((watch.Elapsed.TotalSeconds, heap, resident));
                if (samples.Count % 20 == 0)
                {
                    Console.WriteLine($"  {watch.Elapsed.TotalSeconds:0}s: {pending} pending, heap {heap / 1048576.0:0.0} MiB, resident {resident / 1048576.0:0.0} MiB");
                }

                await Task.Delay(250).ConfigureAwait(false);
            }

            usage.Stop();
            var rate = await OutboxRows.SteadyPublishRateAsync(relay.DataSource, 0).ConfigureAwait(false);
            report.Add(new ReportRow("ours: outbox relay", Role.Ours, $"drain {messages}",
                LoadResult.Of(messages, messages / rate, double.NaN, double.NaN, double.NaN, usage.Result), $"batch {batch}, took {watch.Elapsed.TotalSeconds:0.0} s"));
            if (samples.Count > 0)
            {
                var third = Math.Max(1, samples.Count / 3);
                report.Note(string.Create(CultureInfo.InvariantCulture,
                    $"Memory of the process running the relay (load tool included): before the relay started heap {Mi(before.Heap)} MiB / resident {Mi(before.Resident)} MiB; " +
                    $"first third of the drain: heap max {Mi(samples.Take(third).Max(s => s.Heap))} MiB, resident max {Mi(samples.Take(third).Max(s => s.Resident))} MiB; " +
                    $"last third: heap max {Mi(samples.TakeLast(third).Max(s => s.Heap))} MiB, resident max {Mi(samples.TakeLast(third).Max(s => s.Resident))} MiB " +
                    $"({samples.Count} samples, {messages} rows)."));
            }
        }

        if (settings.Runs("gateway"))
        {
            await DrainThroughGatewayAsync(settings, report, services, messages).ConfigureAwait(false);
        }

        if (settings.Runs("b2"))
        {
            var rabbitMq = await services.CreateVirtualHostAsync().ConfigureAwait(false);
            await using var publisher = await RawRabbitPublisher.StartAsync(rabbitMq, settings.Payload, batch).ConfigureAwait(false);
            var (drained, _) = await RelayScenario.DrainRawAsync(publisher, messages, batch).ConfigureAwait(false);
            report.Add(new ReportRow("B2: raw RabbitMQ.Client", Role.Baseline, $"drain {messages}", drained, $"{batch} in flight"));
        }
    }

    private static async Task DrainThroughGatewayAsync(LoadSettings settings, Report report, BenchServices services, int messages)
    {
        var postgres = await services.CreateDatabaseAsync().ConfigureAwait(false);
        var rabbitMq = await services.CreateVirtualHostAsync().ConfigureAwait(false);
        await MassTransitApi.DeclareTopologyAsync(rabbitMq).ConfigureAwait(false);
        var (gateway, client) = await SystemHosts.StartGatewayAsync(postgres, rabbitMq, services, settings).ConfigureAwait(false);
        client.Dispose();
        UsageProbe.Watch(gateway);
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(postgres);
            // Three backlogs, one after the other, in the same process: the first shows the warm-up (JIT, pools, the
            // Server GC sizing its heaps), the others whether memory follows the backlog (it would grow again) or
            // was set by the warm-up (it stays where the first left it). Each window starts with the gateway idle
            // and ends when its backlog is gone; rows arrive in chunks of 10,000, so the relay starts on the first.
            for (var round = 1; round <= 3; round++)
            {
                var afterId = await OutboxRows.MaxIdAsync(dataSource).ConfigureAwait(false);
                var usage = new UsageProbe(residentInterval: TimeSpan.FromSeconds(1));
                usage.Start();
                var watch = Stopwatch.StartNew();
                Console.WriteLine($"round {round}: inserting {messages} outbox rows under the running gateway");
                await OutboxRows.InsertBacklogAsync(postgres, messages, settings.Payload).ConfigureAwait(false);
                while (await OutboxRows.PendingAsync(dataSource).ConfigureAwait(false) > 0 && watch.Elapsed < TimeSpan.FromMinutes(15))
                {
                    await Task.Delay(250).ConfigureAwait(false);
                }

                usage.Stop();
                var rate = await OutboxRows.SteadyPublishRateAsync(dataSource, afterId).ConfigureAwait(false);
                report.Add(new ReportRow($"ours: gateway (child process), backlog {round}", Role.Ours, $"drain {messages} (gateway, round {round})",
                    LoadResult.Of(messages, messages / rate, double.NaN, double.NaN, double.NaN, usage.Result), $"took {watch.Elapsed.TotalSeconds:0.0} s"));
            }
        }
        finally
        {
            UsageProbe.Forget(gateway);
            await gateway.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static (long Heap, long Resident) Memory()
    {
        using var self = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: false), self.WorkingSet64);
    }

    private static string Mi(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
}
