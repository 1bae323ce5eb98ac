using System.Globalization;
using Messaging.Load.Infrastructure;

namespace Messaging.Load.Scenarios;

/// <summary>Runs the scenario the command line names.</summary>
internal static class ScenarioRunner
{
    public static Task RunAsync(LoadSettings settings, Report report) => settings.Scenario switch
    {
        "accept" => AcceptScenario.RunAsync(settings, report),
        "relay" => RelayScenario.RunAsync(settings, report),
        "backlog" => BacklogScenario.RunAsync(settings, report),
        "burst" => BurstScenario.RunAsync(settings, report),
        "consume" => ConsumeScenario.RunAsync(settings, report),
        "end-to-end" => EndToEndScenario.RunAsync(settings, report),
        "limiter" => LimiterScenario.RunAsync(settings, report),
        _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Scenario, "unknown scenario"),
    };

    /// <summary>What the started hosts and services use with no load at all (timers, pollers, samplers), over 5 seconds.</summary>
    public static async Task NoteIdleAsync(Report report, string what)
    {
        var idle = new UsageProbe();
        idle.Start();
        await Task.Delay(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        idle.Stop();
        report.Note($"Idle ({what}, no requests, 5 s), cores used: {idle.Result.Describe()}.");
    }

    /// <summary>
    /// The two measurements of a request/response target: the closed-loop maximum at the configured concurrency,
    /// then a constant arrival rate (the given one, or 50 % of the first target's maximum, the same for every target) for latency without queueing hidden.
    /// </summary>
    public static async Task MeasureAsync(Report report, LoadSettings settings, string target, Role role, Operation operation, string? note = null)
    {
        Console.WriteLine($"{target}: closed loop, {settings.Concurrency} clients");
        var closed = await LoadRunner.ClosedLoopAsync(settings.Concurrency, settings.Warmup, settings.Duration, operation).ConfigureAwait(false);
        report.Add(new ReportRow(target, role, $"closed {settings.Concurrency}", closed, note));

        // Every target of the scenario gets the same arrival rate: the given one, or half of the first target's (ours) maximum.
        report.OpenRate ??= settings.Rate ?? Math.Max(1, Math.Round(closed.Throughput / 2));
        var rate = report.OpenRate.Value;
        var mode = settings.Rate is null ? $"open {rate.ToString("0", CultureInfo.InvariantCulture)}/s (50% of ours)" : $"open {rate.ToString("0", CultureInfo.InvariantCulture)}/s";
        Console.WriteLine($"{target}: open model, {rate:0}/s");
        var open = await LoadRunner.OpenModelAsync(rate, TimeSpan.FromSeconds(Math.Min(2, settings.Warmup.TotalSeconds)), settings.Duration, operation)
            .ConfigureAwait(false);
        report.Add(new ReportRow(target, role, mode, open, note));
    }
}
