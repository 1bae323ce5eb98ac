using System.CommandLine;
using System.Net;
using Messaging.Cli.Output;
using Messaging.Client;

namespace Messaging.Cli.Commands;

/// <summary>
/// <c>msg breakers</c> (scope admin or operator: breakers are shared, everyone sees them), <c>msg breakers isolate NAME</c>
/// and <c>msg breakers reset NAME</c> (scope operator only; audited).
/// </summary>
internal static class BreakersCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("breakers", "Show the circuit breakers of every process (scope admin or operator), or isolate/reset one (scope operator)");
        command.SetAction(CommandActions.Action(console, async (parse, client, cancellationToken) =>
        {
            var overview = await client.GetMonitoringOverviewAsync(cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(JsonOutput.Option))
            {
                JsonOutput.Write(console.Out, overview.Breakers ?? []);
            }
            else
            {
                WriteBreakers(console.Out, overview.Breakers);
            }

            return ExitCodes.Success;
        }));
        command.Subcommands.Add(Control(console, "isolate", "Hold a breaker open across the fleet until it is reset (scope operator; route:auth and route:monitoring cannot be isolated)", (c, n, ct) => c.IsolateBreakerAsync(n, ct)));
        command.Subcommands.Add(Control(console, "reset", "Close a breaker across the fleet (scope operator)", (c, n, ct) => c.ResetBreakerAsync(n, ct)));
        return command;
    }

    public static void WriteBreakers(TextWriter output, IReadOnlyList<BreakerInfo>? breakers)
    {
        output.WriteLine("BREAKERS");
        if (breakers is null)
        {
            output.WriteLine("  not reported by this gateway");
            return;
        }

        if (breakers.Count == 0)
        {
            output.WriteLine("  none yet (breakers appear once a dependency has been called)");
            return;
        }

        var table = new Table("NAME", "STATE", "SINCE");
        foreach (var breaker in breakers.OrderBy(b => b.Name, StringComparer.Ordinal))
        {
            table.Add(breaker.Name, breaker.State, Cells.Time(breaker.Since));
        }

        table.WriteTo(output);
    }

    private static Command Control(CliConsole console, string action, string description, Func<MessagingClient, string, CancellationToken, Task<BreakerInfo>> call)
    {
        var name = new Argument<string>("name") { Description = "The breaker's name as msg breakers shows it, for example payments@127.0.0.1:5091" };
        var command = new Command(action, description) { name };
        command.SetAction(CommandActions.Action(console, async (parse, client, cancellationToken) =>
        {
            var breakerName = parse.GetValue(name)!;
            BreakerInfo breaker;
            try
            {
                breaker = await call(client, breakerName, cancellationToken).ConfigureAwait(false);
            }
            catch (MessagingClientException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                throw new CliException($"no breaker is named '{breakerName}' (see msg breakers)");
            }

            if (parse.GetValue(JsonOutput.Option))
            {
                JsonOutput.Write(console.Out, breaker);
            }
            else
            {
                await console.Out.WriteLineAsync($"{breaker.Name}: {breaker.State}").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }
}
