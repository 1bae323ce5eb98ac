using System.Diagnostics;
using System.Globalization;
using Messaging.Load.Infrastructure;
using Npgsql;

namespace Messaging.Load.Scenarios;

/// <summary>
/// The whole path, accepted → Succeeded: gateway (with its relay), workers and FakeServices (no added latency) as
/// child processes on one database and virtual host. A closed loop of <c>--concurrency</c> clients submits for the
/// duration; the status counts sampled each second give the accept rate and the completion rate, and where the
/// backlog sits at the end names the bottleneck (Accepted: the relay; Dispatched: the queue and the workers).
/// Then a constant rate (<c>--rate</c>, else 50 % of the completion rate) gives accepted → Succeeded latency
/// (created_at → updated_at of the Succeeded rows). With <c>--closed-loop off</c> only the constant rate runs (a
/// long run at a known rate: the hosts' resident memory over it is the figure). Both windows sample the hosts'
/// resident memory every 5 s.
/// </summary>
internal static class EndToEndScenario
{
    public static async Task RunAsync(LoadSettings settings, Report report)
    {
        await using var services = new BenchServices();
        var postgres = await services.CreateDatabaseAsync().ConfigureAwait(false);
        var rabbitMq = await services.CreateVirtualHostAsync().ConfigureAwait(false);
        var json = Payloads.NotificationJson(settings.Payload);
        await using var dataSource = NpgsqlDataSource.Create(postgres);
        var (gateway, client) = await SystemHosts.StartGatewayAsync(postgres, rabbitMq, services, settings).ConfigureAwait(false);
        var (fake, workers) = await SystemHosts.StartWorkersAsync(postgres, rabbitMq, services, prefetch: 8).ConfigureAwait(false);
        ChildProcess[] processes = [gateway, workers, fake];
        foreach (var process in processes)
        {
            UsageProbe.Watch(process);
        }

        try
        {
            await ScenarioRunner.NoteIdleAsync(report, "gateway, workers, FakeServices").ConfigureAwait(false);

            var completed = double.NaN;
            if (settings.ClosedLoop)
            {
                // Closed loop: the accept rate and the completion rate over the same window.
                var samples = new List<(long Timestamp, Dictionary<string, long> Counts)>();
                using var sampling = new CancellationTokenSource();
                var sampler = SampleAsync(dataSource, samples, sampling.Token);
                var load = await LoadRunner.ClosedLoopAsync(settings.Concurrency, settings.Warmup, settings.Duration,
                    ct => AcceptScenario.PostAsync(client, json, ct)).ConfigureAwait(false);
                await sampling.CancelAsync().ConfigureAwait(false);
                await sampler.ConfigureAwait(false);

                var window = samples.Where(s => Stopwatch.GetElapsedTime(samples[0].Timestamp, s.Timestamp) >= settings.Warmup).ToList();
                var first = window.Count > 0 ? window[0] : samples[0];
                var last = samples[^1];
                var seconds = Stopwatch.GetElapsedTime(first.Timestamp, last.Timestamp).TotalSeconds;
                completed = (Done(last.Counts) - Done(first.Counts)) / seconds;
                report.Add(new ReportRow("ours: accepted (HTTP 202)", Role.Ours, $"closed {settings.Concurrency}", load));
                report.Add(new ReportRow("ours: completed (Succeeded)", Role.Baseline, $"closed {settings.Concurrency}",
                    LoadResult.Of((long)(completed * seconds), seconds, double.NaN, double.NaN, double.NaN, load.Usage), "ratio column: accepted / completed"));
                report.Note($"Status counts when the closed loop ended: {CommandMessages.Describe(last.Counts)}. " +
                    $"Backlog: {last.Counts.GetValueOrDefault("Accepted")} Accepted (not yet relayed), {last.Counts.GetValueOrDefault("Dispatched")} Dispatched (in the queue), " +
                    $"{last.Counts.GetValueOrDefault("Processing")} Processing.");

                // Let the backlog drain before the latency run.
                var drainWatch = Stopwatch.StartNew();
                while (drainWatch.Elapsed < TimeSpan.FromMinutes(3))
                {
                    var counts = await CommandMessages.StatusCountsAsync(dataSource).ConfigureAwait(false);
                    if (counts.Where(c => c.Key is "Accepted" or "Dispatched" or "Processing" or "Scheduled").Sum(c => c.Value) == 0)
                    {
                        break;
                    }

                    await Task.Delay(500).ConfigureAwait(false);
                }

                report.Note($"The closed loop's backlog drained in {drainWatch.Elapsed.TotalSeconds:0.0} s after the load stopped.");
            }

            var rate = settings.Rate ?? Math.Max(1, Math.Round(completed / 2));
            var startedAt = DateTimeOffset.UtcNow;
            var open = await LoadRunner.OpenModelAsync(rate, TimeSpan.Zero, settings.Duration, ct => AcceptScenario.PostAsync(client, json, ct)).ConfigureAwait(false);
            var openDrain = Stopwatch.StartNew();
            while (openDrain.Elapsed < TimeSpan.FromMinutes(2))
            {
                var counts = await CommandMessages.StatusCountsAsync(dataSource).ConfigureAwait(false);
                if (counts.Where(c => c.Key is "Accepted" or "Dispatched" or "Processing" or "Scheduled").Sum(c => c.Value) == 0)
                {
                    break;
                }

                await Task.Delay(250).ConfigureAwait(false);
            }

            var (count, p50, p99, max) = await EndToEndLatencyAsync(dataSource, startedAt).ConfigureAwait(false);
            var mode = $"open {rate.ToString("0", CultureInfo.InvariantCulture)}/s";
            report.Add(new ReportRow("ours: accepted (HTTP 202)", Role.Ours, mode, open));
            report.Add(new ReportRow("ours: accepted → Succeeded", Role.Baseline, mode,
                LoadResult.Of(count, settings.Duration.TotalSeconds, p50, p99, max, open.Usage), "latency from the database: created_at → updated_at"));
        }
        finally
        {
            foreach (var process in processes)
            {
                UsageProbe.Forget(process);
            }

            client.Dispose();
            await gateway.DisposeAsync().ConfigureAwait(false);
            await workers.DisposeAsync().ConfigureAwait(false);
            await fake.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static long Done(Dictionary<string, long> counts) => counts.GetValueOrDefault("Succeeded") + counts.GetValueOrDefault("Failed");

    private static async Task SampleAsync(NpgsqlDataSource dataSource, List<(long, Dictionary<string, long>)> samples, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            samples.Add((Stopwatch.GetTimestamp(), await CommandMessages.StatusCountsAsync(dataSource).ConfigureAwait(false)));
            try
            {
                await Task.Delay(1000, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        samples.Add((Stopwatch.GetTimestamp(), await CommandMessages.StatusCountsAsync(dataSource).ConfigureAwait(false)));
    }

    private static async Task<(long Count, double P50, double P99, double Max)> EndToEndLatencyAsync(NpgsqlDataSource dataSource, DateTimeOffset since)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT count(*),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM updated_at - created_at)::float8) * 1000,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM updated_at - created_at)::float8) * 1000,
                   max(extract(epoch FROM updated_at - created_at)::float8) * 1000
            FROM commands WHERE status = 'Succeeded' AND created_at >= @since
            """);
        command.Parameters.AddWithValue("since", since);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        await reader.ReadAsync().ConfigureAwait(false);
        return reader.GetInt64(0) == 0 ? (0, double.NaN, double.NaN, double.NaN) : (reader.GetInt64(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3));
    }
}
