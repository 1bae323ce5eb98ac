using System.Diagnostics;
using Messaging.Load.Baselines;
using Messaging.Load.Infrastructure;
using Npgsql;

namespace Messaging.Load.Scenarios;

/// <summary>
/// Consumption of <c>--messages</c> command messages put into the quorum queue beforehand (as the relay sends
/// them), each target on its own virtual host with the same prefetch (<c>--concurrency</c>, default 8 like the
/// workers' <c>Flow:ConcurrencyLimit</c>): B3 (raw consumer, ack each), a MassTransit consumer running a no-op
/// through a dependency pipeline, and the real workers (child process: inbox, deadline, rate limit, status writes
/// in Postgres, the provider call to FakeServices with no latency). Rates are steady rates (10th to 90th
/// percentile of completions).
/// </summary>
internal static class ConsumeScenario
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public static async Task RunAsync(LoadSettings settings, Report report)
    {
        var messages = settings.Messages ?? 20_000;
        var prefetch = settings.ConcurrencyGiven ? settings.Concurrency : 8;
        await using var services = new BenchServices();
        var ids = Enumerable.Range(0, messages).Select(_ => Guid.CreateVersion7()).ToArray();

        if (settings.Runs("ours"))
        {
            var postgres = await services.CreateDatabaseAsync().ConfigureAwait(false);
            var rabbitMq = await services.CreateVirtualHostAsync().ConfigureAwait(false);
            await MassTransitApi.DeclareTopologyAsync(rabbitMq).ConfigureAwait(false);
            await CommandMessages.InsertCommandRowsAsync(postgres, ids, settings.Payload).ConfigureAwait(false);
            Console.WriteLine($"putting {messages} messages into the queue");
            await CommandMessages.PrefillAsync(rabbitMq, ids, settings.Payload).ConfigureAwait(false);
            await using var dataSource = NpgsqlDataSource.Create(postgres);

            var (fake, workers) = await SystemHosts.StartWorkersAsync(postgres, rabbitMq, services, prefetch).ConfigureAwait(false);
            UsageProbe.Watch(workers);
            UsageProbe.Watch(fake);
            try
            {
                // Round 1 drains what was queued before the workers started; each further round (--rounds) queues as
                // many again under the running workers: if their memory followed the backlog, it would grow each round.
                for (var round = 1; round <= settings.Rounds; round++)
                {
                    var usage = new UsageProbe();
                    usage.Start();
                    if (round > 1)
                    {
                        var more = Enumerable.Range(0, messages).Select(_ => Guid.CreateVersion7()).ToArray();
                        await CommandMessages.InsertCommandRowsAsync(postgres, more, settings.Payload).ConfigureAwait(false);
                        Console.WriteLine($"round {round}: putting {messages} messages into the queue");
                        await CommandMessages.PrefillAsync(rabbitMq, more, settings.Payload).ConfigureAwait(false);
                    }

                    var samples = new List<(long Timestamp, long Done)>();
                    var watch = Stopwatch.StartNew();
                    var before = (round - 1L) * messages;
                    Dictionary<string, long> counts;
                    while (true)
                    {
                        counts = await CommandMessages.StatusCountsAsync(dataSource).ConfigureAwait(false);
                        var done = counts.GetValueOrDefault("Succeeded") + counts.GetValueOrDefault("Failed") + counts.GetValueOrDefault("DeadLettered") - before;
                        samples.Add((Stopwatch.GetTimestamp(), done));
                        if (done >= messages || watch.Elapsed > Timeout)
                        {
                            break;
                        }

                        await Task.Delay(200).ConfigureAwait(false);
                    }

                    usage.Stop();
                    var rate = SteadyRate(samples, messages);
                    var target = settings.Rounds == 1 ? "ours: workers (child process)" : $"ours: workers (child process), round {round}";
                    report.Add(new ReportRow(target, Role.Ours, $"drain {messages}, prefetch {prefetch}" + (settings.Rounds == 1 ? "" : $", round {round}"),
                        LoadResult.Of(counts.GetValueOrDefault("Succeeded") - before, messages / rate, double.NaN, double.NaN, double.NaN, usage.Result) with
                        {
                            Errors = counts.GetValueOrDefault("Failed") + counts.GetValueOrDefault("DeadLettered"),
                        },
                        CommandMessages.Describe(counts)));
                }
            }
            finally
            {
                UsageProbe.Forget(workers);
                UsageProbe.Forget(fake);
                await workers.DisposeAsync().ConfigureAwait(false);
                await fake.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (settings.Runs("mt"))
        {
            await RunInProcessAsync(report, services, "MassTransit no-op + dependency pipeline", ids, settings, prefetch, NoOpMassTransitConsumer.ConsumeAsync)
                .ConfigureAwait(false);
        }

        if (settings.Runs("b3"))
        {
            await RunInProcessAsync(report, services, "B3: raw RabbitMQ.Client consumer", ids, settings, prefetch, RawRabbitConsumer.ConsumeAsync)
                .ConfigureAwait(false);
        }
    }

    private static async Task RunInProcessAsync(Report report, BenchServices services, string target, Guid[] ids, LoadSettings settings, int prefetch,
        Func<string, int, Drain, TimeSpan, Task> consume)
    {
        var rabbitMq = await services.CreateVirtualHostAsync().ConfigureAwait(false);
        await MassTransitApi.DeclareTopologyAsync(rabbitMq).ConfigureAwait(false);
        Console.WriteLine($"putting {ids.Length} messages into the queue");
        await CommandMessages.PrefillAsync(rabbitMq, ids, settings.Payload).ConfigureAwait(false);
        var drain = new Drain(ids.Length);
        var usage = new UsageProbe();
        usage.Start();
        await consume(rabbitMq, prefetch, drain, Timeout).ConfigureAwait(false);
        usage.Stop();
        var rate = drain.SteadyRate();
        report.Add(new ReportRow(target, Role.Baseline, $"drain {ids.Length}, prefetch {prefetch}",
            LoadResult.Of(drain.Count, ids.Length / rate, double.NaN, double.NaN, double.NaN, usage.Result), "in this process"));
    }

    /// <summary>The rate between the samples nearest to 10 % and 90 % done.</summary>
    public static double SteadyRate(List<(long Timestamp, long Done)> samples, long total)
    {
        var from = samples.FirstOrDefault(s => s.Done >= total * 0.1);
        var to = samples.FirstOrDefault(s => s.Done >= total * 0.9);
        if (from.Timestamp == 0 || to.Timestamp == 0 || to.Timestamp <= from.Timestamp)
        {
            from = samples[0];
            to = samples[^1];
        }

        return (to.Done - from.Done) / Stopwatch.GetElapsedTime(from.Timestamp, to.Timestamp).TotalSeconds;
    }
}
