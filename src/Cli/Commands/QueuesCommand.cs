using System.CommandLine;
using System.Globalization;
using Messaging.Cli.Output;
using Messaging.Client;

namespace Messaging.Cli.Commands;

/// <summary>
/// <c>msg queues [--watch]</c>: queue depths, rates and consumers, dead letters, breakers, the outbox,
/// rate limiting and alerts from the monitoring API, headed by whose view it is: the fleet (scope operator) or a
/// tenant's share (scope admin: its commands per queue, no rates, no alerts, no rate limiting). Parts the gateway does
/// not report are shown as such.
/// </summary>
internal static class QueuesCommand
{
    private const string OperatorsOnly = "  the fleet's, shown to operators only (scope operator)";

    public static Command Create(CliConsole console)
    {
        var watch = new Option<bool>("--watch", "-W") { Description = "Refresh until interrupted (Ctrl-C)" };
        var interval = new Option<int>("--interval") { Description = "Seconds between refreshes with --watch", DefaultValueFactory = _ => 2 };
        var command = new Command("queues", "Show queues, dead letters, breakers, outbox and alerts: the fleet (scope operator) or your tenant's share (scope admin)") { watch, interval };
        command.SetAction(CommandActions.Action(console, async (parse, client, cancellationToken) =>
        {
            var json = parse.GetValue(JsonOutput.Option);
            if (!parse.GetValue(watch))
            {
                Write(console, json, await client.GetMonitoringOverviewAsync(cancellationToken).ConfigureAwait(false));
                return ExitCodes.Success;
            }

            var pause = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(interval)));
            try
            {
                while (true)
                {
                    var overview = await client.GetMonitoringOverviewAsync(cancellationToken).ConfigureAwait(false);
                    if (console.Interactive && !json)
                    {
                        // Home and clear: the table is redrawn in place.
                        await console.Out.WriteAsync("\u001b[H\u001b[2J").ConfigureAwait(false);
                    }

                    if (!json)
                    {
                        await console.Out.WriteLineAsync(
                            $"{Cells.Time(TimeProvider.System.GetUtcNow())}  every {pause.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s, Ctrl-C to stop").ConfigureAwait(false);
                    }

                    Write(console, json, overview);
                    await console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
                    await Task.Delay(pause, TimeProvider.System, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Success;
            }
        }));
        return command;
    }

    private static void Write(CliConsole console, bool json, MonitoringOverview overview)
    {
        if (json)
        {
            JsonOutput.Write(console.Out, overview);
            return;
        }

        var output = console.Out;
        var tenant = overview.Tenant;
        output.WriteLine(tenant is null ? "VIEW  fleet" : $"VIEW  tenant {tenant}");
        output.WriteLine();
        output.WriteLine("QUEUES");
        if (overview.Queues is { } queues)
        {
            if (queues.Any(q => q.Source == "tenant"))
            {
                // Not the broker's figures: the tenant's own commands, counted in PostgreSQL.
                output.WriteLine("  your tenant's commands: READY = waiting for a worker, UNACKED = being executed; no rates");
            }

            var table = new Table("NAME", "READY", "UNACKED", "CONSUMERS", "IN/S", "OUT/S");
            foreach (var queue in queues)
            {
                table.Add(queue.Name, Cells.Number(queue.Ready), Cells.Number(queue.Unacked), Cells.Number(queue.Consumers),
                    Cells.Rate(queue.PublishRate), Cells.Rate(queue.DeliverRate));
            }

            table.WriteTo(output);
        }
        else
        {
            output.WriteLine("  not reported by this gateway");
        }

        output.WriteLine();
        DeadLettersCommand.WriteSummary(output, overview.DeadLetters);
        output.WriteLine();
        BreakersCommand.WriteBreakers(output, overview.Breakers);
        output.WriteLine();
        output.WriteLine("OUTBOX");
        output.WriteLine(overview.Outbox is { } outbox
            ? $"  pending {Cells.Number(outbox.Pending)}, oldest {Cells.Seconds(outbox.OldestPendingSeconds)}"
            : "  not reported by this gateway");
        output.WriteLine();
        output.WriteLine("RATE LIMITING");
        output.WriteLine(overview.RateLimiting is { } limits
            ? $"  rejected in the last minute {Cells.Number(limits.RejectedLastMinute)}{(limits.Degraded == true ? ", DEGRADED (local limiters)" : "")}"
            : tenant is null ? "  not reported by this gateway" : OperatorsOnly);
        output.WriteLine();
        output.WriteLine("ALERTS");
        if (tenant is not null && overview.Alerts is null or { Count: 0 })
        {
            // A tenant's view carries no alerts: "none firing" would claim the fleet is healthy.
            output.WriteLine(OperatorsOnly);
        }
        else if (overview.Alerts is null)
        {
            output.WriteLine("  not reported by this gateway");
        }
        else if (overview.Alerts.Count == 0)
        {
            output.WriteLine("  none firing");
        }
        else
        {
            var table = new Table("RULE", "SEVERITY", "SINCE", "MESSAGE");
            foreach (var alert in overview.Alerts)
            {
                table.Add(alert.Rule, alert.Severity, Cells.Time(alert.Since), alert.Message is null ? null : CommandActions.OneLine(alert.Message));
            }

            table.WriteTo(output);
        }
    }
}
