using System.Diagnostics;
using System.Globalization;
using Messaging.Load.Baselines;
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
/// resident memory every 5 s. Then the Wolverine peer (<c>wolverine</c>, publisher confirms on, and
/// <c>wolverine-noconfirm</c>, its default) in the same closed loop: its api and handler halves and FakeServices as
/// child processes on a database and virtual host of their own, completions counted from its inbox (envelopes
/// marked Handled). The completion rows share a load mode of their own, so their ratio column is ours / the peer's.
/// </summary>
internal static class EndToEndScenario
{
    public static async Task RunAsync(LoadSettings settings, Report report)
    {
        await using var services = new BenchServices();
        var json = Payloads.NotificationJson(settings.Payload);
        if (settings.Runs("ours"))
        {
            await RunOursAsync(settings, report, services, json).ConfigureAwait(false);
        }

        foreach (var (target, confirms) in WolverinePeer.Targets)
        {
            if (!settings.Runs(target))
            {
                continue;
            }

            if (!settings.ClosedLoop)
            {
                report.Note($"{target} skipped: the peers run the closed loop only.");
                continue;
            }

            await RunWolverineAsync(settings, report, services, json, target, confirms).ConfigureAwait(false);
        }
    }

    private static string CompletionsMode(LoadSettings settings) => $"closed {settings.Concurrency}, completions";

    private static async Task RunOursAsync(LoadSettings settings, Report report, BenchServices services, string json)
    {
        var postgres = await services.CreateDatabaseAsync().ConfigureAwait(false);
        var rabbitMq = await services.CreateVirtualHostAsync().ConfigureAwait(false);
        await using var dataSource = NpgsqlDataSource.Create(postgres);
        var (gateway, client) = await SystemHosts.StartGatewayAsync(postgres, rabbitMq, services, settings).ConfigureAwait(false);
        var providers = await SystemHosts.StartFakeServicesAsync(postgres, rabbitMq, services).ConfigureAwait(false);
        var fake = providers.Process;
        var workers = new List<ChildProcess>();
        for (var i = 1; i <= settings.Workers; i++)
        {
            workers.Add(await SystemHosts.StartWorkerHostAsync(providers, postgres, rabbitMq, services, prefetch: 8, i == 1 ? "workers" : $"workers-{i}")
                .ConfigureAwait(false));
        }

        ChildProcess[] processes = [gateway, .. workers, fake];
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
                var workBefore = await DatabaseWork.ReadAsync(dataSource).ConfigureAwait(false);
                var doneBefore = Done(await CommandMessages.StatusCountsAsync(dataSource).ConfigureAwait(false));
                var (load, samples, seconds) = await ClosedLoopAsync(settings, client, json, () => CommandMessages.StatusCountsAsync(dataSource)).ConfigureAwait(false);
                var last = samples[^1];
                completed = CompletionRate(settings, samples, Done);
                report.Add(new ReportRow("ours: accepted (HTTP 202)", Role.Ours, $"closed {settings.Concurrency}", load));
                report.Add(new ReportRow("ours: completed (Succeeded)", Role.Ours, CompletionsMode(settings),
                    LoadResult.Of((long)(completed * seconds), seconds, double.NaN, double.NaN, double.NaN, load.Usage)));
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
                var workAfter = await DatabaseWork.ReadAsync(dataSource, settle: true).ConfigureAwait(false);
                var doneAfter = Done(await CommandMessages.StatusCountsAsync(dataSource).ConfigureAwait(false));
                report.Note($"ours: {DatabaseWork.DescribePer(workBefore, workAfter, doneAfter - doneBefore)} (the closed loop and its drain).");
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
            foreach (var worker in workers)
            {
                await worker.DisposeAsync().ConfigureAwait(false);
            }

            await fake.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task RunWolverineAsync(LoadSettings settings, Report report, BenchServices services, string json, string target, bool confirms)
    {
        var postgres = await services.CreateDatabaseAsync(migrate: false).ConfigureAwait(false);
        var rabbitMq = await services.CreateVirtualHostAsync().ConfigureAwait(false);
        var providers = await SystemHosts.StartFakeServicesAsync(postgres, rabbitMq, services).ConfigureAwait(false);
        await using var fake = providers.Process;
        await using var peer = await WolverinePeer.StartAsync(target, confirms, postgres, rabbitMq, providers.NotificationsUrl, settings.Workers)
            .ConfigureAwait(false);
        await using var dataSource = NpgsqlDataSource.Create(postgres);
        ChildProcess[] processes = [peer.Api, .. peer.Handlers, fake];
        foreach (var process in processes)
        {
            UsageProbe.Watch(process);
        }

        try
        {
            await ScenarioRunner.NoteIdleAsync(report, $"{target}: api, handler, FakeServices").ConfigureAwait(false);
            var workBefore = await DatabaseWork.ReadAsync(dataSource).ConfigureAwait(false);
            var handledBefore = (await WolverinePeer.CountsAsync(dataSource).ConfigureAwait(false))["Handled"];
            var (load, samples, seconds) = await ClosedLoopAsync(settings, peer.Client, json, () => WolverinePeer.CountsAsync(dataSource)).ConfigureAwait(false);
            var completed = CompletionRate(settings, samples, c => c.GetValueOrDefault("Handled"));
            report.Add(new ReportRow($"{target}: accepted (HTTP 202)", Role.Baseline, $"closed {settings.Concurrency}", load, WolverinePeer.Describe(confirms)));
            report.Add(new ReportRow($"{target}: completed (handled)", Role.Baseline, CompletionsMode(settings),
                LoadResult.Of((long)(completed * seconds), seconds, double.NaN, double.NaN, double.NaN, load.Usage), "counted from its inbox (Handled)"));
            report.Note($"{target} when the closed loop ended: {WolverinePeer.Describe(samples[^1].Counts)} (Outgoing: in the outbox, not yet sent; Incoming: in the inbox, not yet handled).");

            // The backlog drains when the outbox and the inbox are empty and nothing more is handled for a second
            // (messages still in the queue are not in either table: the count must also stand still).
            var drainWatch = Stopwatch.StartNew();
            var handled = -1L;
            var still = 0;
            while (drainWatch.Elapsed < TimeSpan.FromMinutes(3) && still < 4)
            {
                var counts = await WolverinePeer.CountsAsync(dataSource).ConfigureAwait(false);
                still = counts["Outgoing"] + counts["Incoming"] == 0 && counts["Handled"] == handled ? still + 1 : 0;
                handled = counts["Handled"];
                await Task.Delay(250).ConfigureAwait(false);
            }

            var drained = await WolverinePeer.CountsAsync(dataSource).ConfigureAwait(false);
            report.Note($"{target}: the closed loop's backlog drained in {drainWatch.Elapsed.TotalSeconds:0.0} s after the load stopped: " +
                $"{WolverinePeer.Describe(drained)}; {await WolverinePeer.DescribeTrafficAsync(dataSource).ConfigureAwait(false)}; " +
                $"{await WolverinePeer.DescribeProviderAsync(providers.NotificationsUrl).ConfigureAwait(false)}.");
            var workAfter = await DatabaseWork.ReadAsync(dataSource, settle: true).ConfigureAwait(false);
            report.Note($"{target}: {DatabaseWork.DescribePer(workBefore, workAfter, drained["Handled"] - handledBefore)} (the closed loop and its drain; " +
                "handled envelopes are kept 5 minutes, so none of their deletes is in this window).");
        }
        finally
        {
            foreach (var process in processes)
            {
                UsageProbe.Forget(process);
            }
        }
    }

    /// <summary>The closed loop of <c>--concurrency</c> clients, with the counts sampled every second over it.</summary>
    private static async Task<(LoadResult Load, List<(long Timestamp, Dictionary<string, long> Counts)> Samples, double Seconds)> ClosedLoopAsync(
        LoadSettings settings, HttpClient client, string json, Func<Task<Dictionary<string, long>>> count)
    {
        var samples = new List<(long Timestamp, Dictionary<string, long> Counts)>();
        using var sampling = new CancellationTokenSource();
        var sampler = SampleAsync(count, samples, sampling.Token);
        var load = await LoadRunner.ClosedLoopAsync(settings.Concurrency, settings.Warmup, settings.Duration,
            ct => AcceptScenario.PostAsync(client, json, ct)).ConfigureAwait(false);
        await sampling.CancelAsync().ConfigureAwait(false);
        await sampler.ConfigureAwait(false);
        var (first, last) = Window(settings, samples);
        return (load, samples, Stopwatch.GetElapsedTime(first.Timestamp, last.Timestamp).TotalSeconds);
    }

    /// <summary>Completions per second over the measured window (the samples after the warmup).</summary>
    private static double CompletionRate(LoadSettings settings, List<(long Timestamp, Dictionary<string, long> Counts)> samples, Func<Dictionary<string, long>, long> done)
    {
        var (first, last) = Window(settings, samples);
        return (done(last.Counts) - done(first.Counts)) / Stopwatch.GetElapsedTime(first.Timestamp, last.Timestamp).TotalSeconds;
    }

    private static ((long Timestamp, Dictionary<string, long> Counts) First, (long Timestamp, Dictionary<string, long> Counts) Last) Window(
        LoadSettings settings, List<(long Timestamp, Dictionary<string, long> Counts)> samples)
    {
        var window = samples.Where(s => Stopwatch.GetElapsedTime(samples[0].Timestamp, s.Timestamp) >= settings.Warmup).ToList();
        return (window.Count > 0 ? window[0] : samples[0], samples[^1]);
    }

    private static long Done(Dictionary<string, long> counts) => counts.GetValueOrDefault("Succeeded") + counts.GetValueOrDefault("Failed");

    private static async Task SampleAsync(Func<Task<Dictionary<string, long>>> count, List<(long, Dictionary<string, long>)> samples, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            samples.Add((Stopwatch.GetTimestamp(), await count().ConfigureAwait(false)));
            try
            {
                await Task.Delay(1000, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        samples.Add((Stopwatch.GetTimestamp(), await count().ConfigureAwait(false)));
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
