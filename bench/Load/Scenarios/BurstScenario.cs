using System.Diagnostics;
using System.Globalization;
using Messaging.Load.Baselines;
using Messaging.Load.Infrastructure;
using Npgsql;

namespace Messaging.Load.Scenarios;

/// <summary>
/// A burst of rows that come due at the same moment (scheduled commands, delayed retries), and fresh commands written
/// while it drains: how long does a fresh command wait? The relay runs in this process (wired as in the gateway), on a
/// database and virtual host of its own per target. The burst (<c>--messages</c>, default 20,000) is inserted due a few
/// seconds ahead, so the relay is idle when it comes due; from that moment one fresh row per 1/<c>--rate</c> seconds
/// (default 20/s) is written through <c>OutboxWriter</c>, one transaction each and the relay signalled, as the gateway
/// does, until the burst has drained. Per target: the fresh rows' wait (commit → confirmed and marked sent: p50, p99,
/// max), how many burst rows went out while a fresh row waited, and the burst's drain rate (ops/s).
/// Targets: <c>ours</c>, the claim from both ends of the due order (<c>Outbox:Relay:NewestShare</c> 0.5, the default),
/// and <c>before</c>, the claim in due order only (<c>NewestShare</c> 0: the claim before the change), in the same run;
/// with <c>--repeat</c> they take turns going first.
/// </summary>
internal static class BurstScenario
{
    private static readonly TimeSpan DueIn = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(LoadSettings settings, Report report)
    {
        var messages = settings.Messages ?? 20_000;
        var batch = settings.ConcurrencyGiven ? settings.Concurrency : 100;
        var rate = settings.Rate ?? 20;
        var mode = string.Create(CultureInfo.InvariantCulture, $"burst {messages:#,0} due at once, fresh {rate:0.#}/s");
        await using var services = new BenchServices();
        if (settings.WarmRelay > 0)
        {
            await RelayHost.WarmUpAsync(services, settings.WarmRelay, settings.Payload, batch).ConfigureAwait(false);
        }

        (string Name, Role Role, string Share, string Note)[] targets =
        [
            ("ours", Role.Ours, "0.5", "both ends of the due order (NewestShare 0.5)"),
            ("before", Role.Baseline, "0", "due order only (NewestShare 0, the claim before the change)"),
        ];
        foreach (var (name, role, share, note) in report.Repeat % 2 == 1 ? targets : Enumerable.Reverse(targets))
        {
            if (settings.Runs(name))
            {
                await MeasureAsync(settings, report, services, messages, batch, rate, mode, (name, role, share, note)).ConfigureAwait(false);
            }
        }
    }

    private static async Task MeasureAsync(LoadSettings settings, Report report, BenchServices services, int messages, int batch, double rate, string mode,
        (string Name, Role Role, string Share, string Note) target)
    {
        var postgres = await services.CreateDatabaseAsync().ConfigureAwait(false);
        var rabbitMq = await services.CreateVirtualHostAsync().ConfigureAwait(false);
        await MassTransitApi.DeclareTopologyAsync(rabbitMq).ConfigureAwait(false);
        await using var relay = await RelayHost.StartAsync(postgres, rabbitMq, services, batch,
            new Dictionary<string, string> { ["NewestShare"] = target.Share }).ConfigureAwait(false);

        var due = DateTimeOffset.UtcNow + DueIn;
        Console.WriteLine($"{target.Name}: inserting {messages} outbox rows due at {due:HH:mm:ss.fff}");
        await OutboxRows.InsertBacklogAsync(postgres, messages, settings.Payload, due).ConfigureAwait(false);
        var lastOfBurst = await OutboxRows.MaxIdAsync(relay.DataSource).ConfigureAwait(false);
        if (due - DateTimeOffset.UtcNow is { Ticks: > 0 } wait)
        {
            await Task.Delay(wait).ConfigureAwait(false);
        }
        else
        {
            Console.WriteLine($"{target.Name}: the burst came due before it was inserted in full; raise {nameof(DueIn)}");
        }

        var usage = new UsageProbe();
        usage.Start();
        var watch = Stopwatch.StartNew();
        var interval = TimeSpan.FromSeconds(1 / rate);
        var fresh = 0;
        while (await PendingOfBurstAsync(relay.DataSource, lastOfBurst).ConfigureAwait(false) > 0 && watch.Elapsed < TimeSpan.FromMinutes(10))
        {
            await relay.WriteRowAsync(settings.Payload, CancellationToken.None).ConfigureAwait(false);
            fresh++;
            if (interval * fresh - watch.Elapsed is { Ticks: > 0 } pause)
            {
                await Task.Delay(pause).ConfigureAwait(false);
            }
        }

        while (await OutboxRows.PendingAsync(relay.DataSource).ConfigureAwait(false) > 0 && watch.Elapsed < TimeSpan.FromMinutes(11))
        {
            await Task.Delay(50).ConfigureAwait(false);
        }

        usage.Stop();
        var (count, p50, p99, max) = await OutboxRows.PublishLatencyAsync(relay.DataSource, lastOfBurst).ConfigureAwait(false);
        var (drainSeconds, ahead) = await BurstFiguresAsync(relay.DataSource, lastOfBurst, due).ConfigureAwait(false);
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"{target.Note}: {count} fresh rows, waits p50/p99/max {p50:0}/{p99:0}/{max:0} ms; burst rows sent while a fresh row waited: median {ahead.Median:#,0}, max {ahead.Max:#,0} (≈ {ahead.Median / batch:0.#} / {ahead.Max / batch:0.#} batches); burst drained in {drainSeconds:0.00} s");
        report.Add(new ReportRow($"{target.Name}: relay, batch {batch}", target.Role, mode, LoadResult.Of(messages, drainSeconds, p50, p99, max, usage.Result), summary));
        report.Note($"Repeat {report.Repeat}, {target.Name}, {summary}.");
    }

    private static async Task<long> PendingOfBurstAsync(NpgsqlDataSource dataSource, long lastOfBurst)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND id <= @last");
        command.Parameters.AddWithValue("last", lastOfBurst);
        return (long)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    /// <summary>
    /// The burst's drain time (due → its last row sent), and per fresh row how many burst rows were sent while it waited,
    /// between its commit and its own pass (rows of one pass share a sent_at, so those of its own pass do not count):
    /// the median and the maximum.
    /// </summary>
    private static async Task<(double DrainSeconds, (double Median, double Max) Ahead)> BurstFiguresAsync(NpgsqlDataSource dataSource, long lastOfBurst, DateTimeOffset due)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH ahead AS (
                SELECT (SELECT count(*) FROM outbox b WHERE b.id <= @last AND b.sent_at >= f.created_at AND b.sent_at < f.sent_at) AS n
                FROM outbox f WHERE f.id > @last
            )
            SELECT (SELECT extract(epoch FROM max(sent_at) - @due)::float8 FROM outbox WHERE id <= @last),
                   (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY n) FROM ahead),
                   (SELECT max(n)::float8 FROM ahead)
            """);
        command.Parameters.AddWithValue("last", lastOfBurst);
        command.Parameters.AddWithValue("due", due);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        await reader.ReadAsync().ConfigureAwait(false);
        return (reader.GetDouble(0), (reader.IsDBNull(1) ? double.NaN : reader.GetDouble(1), reader.IsDBNull(2) ? double.NaN : reader.GetDouble(2)));
    }
}
