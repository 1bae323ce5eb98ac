using Messaging.Load;
using Messaging.Load.Scenarios;
using Messaging.Load.Infrastructure;

// dotnet run -c Release --project bench/Load -- <scenario> [--concurrency N] [--duration 20s] [--rate R] [--payload bytes] ...
if (!LoadSettings.TryParse(args, out var settings, out var error))
{
    await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
    await Console.Error.WriteLineAsync(LoadSettings.Usage).ConfigureAwait(false);
    return 2;
}

var report = new Report(settings.Scenario, settings.Describe());
Console.WriteLine($"scenario {settings.Scenario}: {string.Join(", ", settings.Describe().Select(s => $"{s.Key} {s.Value}"))}");
for (var repeat = 1; repeat <= settings.Repeat; repeat++)
{
    if (settings.Repeat > 1)
    {
        Console.WriteLine($"repeat {repeat} of {settings.Repeat}");
    }

    // Each repeat's rows are compared with ours of the same repeat: the machine drifts between repeats.
    report.Repeat = repeat;
    await ScenarioRunner.RunAsync(settings, report).ConfigureAwait(false);
}

await report.WriteAsync().ConfigureAwait(false);
return 0;
