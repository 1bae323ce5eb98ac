using System.CommandLine;
using System.Globalization;
using System.Net;
using Messaging.Cli.Output;
using Messaging.Client;

namespace Messaging.Cli.Commands;

/// <summary>
/// <c>msg dead-letters list</c> (the totals from the monitoring API and the tenant's dead-lettered commands)
/// and <c>msg dead-letters redrive</c> (one command with <c>--id</c>, or in bulk by type, tenant and time).
/// </summary>
internal static class DeadLettersCommand
{
    private const string BulkRedriveRoute = "POST /api/monitoring/dead-letters/redrive";

    public static Command Create(CliConsole console)
    {
        var command = new Command("dead-letters", "Inspect and redrive dead letters");
        command.Subcommands.Add(CreateList(console));
        command.Subcommands.Add(CreateRedrive(console));
        return command;
    }

    public static void WriteSummary(TextWriter output, DeadLetterSummary? summary)
    {
        output.WriteLine("DEAD LETTERS");
        if (summary is null)
        {
            output.WriteLine("  not reported by this gateway");
            return;
        }

        output.WriteLine($"  total {Cells.Number(summary.Total)}");
        if (summary.ByType is { Count: > 0 } byType)
        {
            var table = new Table("TYPE", "COUNT");
            foreach (var (type, count) in byType.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                table.Add(type, Cells.Number(count));
            }

            table.WriteTo(output);
        }
    }

    private static Command CreateList(CliConsole console)
    {
        var type = new Option<string>("--type", "-t") { Description = "Only this command type" };
        var limit = new Option<int?>("--limit", "-n") { Description = "How many of your tenant's dead-lettered commands (1-100; default 20)" };
        var command = new Command("list", "Dead-letter totals (scope admin) and your tenant's dead-lettered commands") { type, limit };
        command.SetAction(MsgCommandLine.Action(console, async (parse, client, cancellationToken) =>
        {
            // The totals need scope admin; a client without it still sees its own dead-lettered commands.
            DeadLetterSummary? summary = null;
            string? summaryNote = null;
            try
            {
                summary = (await client.GetMonitoringOverviewAsync(cancellationToken).ConfigureAwait(false)).DeadLetters;
                summaryNote = summary is null ? "not reported by this gateway" : null;
            }
            catch (MessagingClientException ex) when (ex.StatusCode is HttpStatusCode.Forbidden)
            {
                summaryNote = "totals need scope admin";
            }

            var page = await client.ListAsync(new CommandListQuery
            {
                Status = CommandStatus.DeadLettered,
                Type = parse.GetValue(type),
                Limit = parse.GetValue(limit),
            }, cancellationToken).ConfigureAwait(false);

            if (parse.GetValue(JsonOutput.Option))
            {
                JsonOutput.Write(console.Out, new { summary, commands = page.Items, nextCursor = page.NextCursor });
                return ExitCodes.Success;
            }

            if (summaryNote is null)
            {
                WriteSummary(console.Out, summary);
            }
            else
            {
                await console.Out.WriteLineAsync($"DEAD LETTERS{Environment.NewLine}  {summaryNote}").ConfigureAwait(false);
            }

            await console.Out.WriteLineAsync().ConfigureAwait(false);
            await console.Out.WriteLineAsync("YOUR DEAD-LETTERED COMMANDS").ConfigureAwait(false);
            StatusCommands.WriteList(console.Out, page.Items);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateRedrive(CliConsole console)
    {
        var id = new Option<Guid?>("--id") { Description = "Redrive this one dead-lettered command" };
        var type = new Option<string>("--type", "-t") { Description = "Bulk: only this command type" };
        var tenant = new Option<string>("--tenant") { Description = "Bulk: only this tenant" };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Bulk: only dead letters stored at or after this time (ISO 8601)" };
        var until = new Option<DateTimeOffset?>("--until") { Description = "Bulk: only dead letters stored before this time (ISO 8601)" };
        var command = new Command("redrive", "Send dead letters back to their queues: one with --id, or in bulk by filter (scope admin)")
        {
            id, type, tenant, since, until,
        };
        command.SetAction(MsgCommandLine.Action(console, async (parse, client, cancellationToken) =>
        {
            var json = parse.GetValue(JsonOutput.Option);
            if (parse.GetValue(id) is { } commandId)
            {
                if (parse.GetValue(type) is not null || parse.GetValue(tenant) is not null || parse.GetValue(since) is not null || parse.GetValue(until) is not null)
                {
                    throw new CliException("--id redrives one command: leave out the bulk filters", ExitCodes.Usage);
                }

                try
                {
                    await client.RedriveCommandAsync(commandId, cancellationToken).ConfigureAwait(false);
                }
                catch (MessagingClientException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
                {
                    // A route that does not exist answers the generic problem ("Not Found"); an unknown command has its own title.
                    throw new CliException(ex.ProblemTitle is null or "Not Found"
                        ? $"this gateway has no redrive endpoint (POST /api/commands/{commandId}/redrive answered 404)"
                        : $"command {commandId} not found (404)");
                }
                catch (MessagingClientException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
                {
                    throw new CliException($"command {commandId} is not dead-lettered (409)");
                }

                if (json)
                {
                    JsonOutput.Write(console.Out, new { id = commandId, redriven = true });
                }
                else
                {
                    await console.Out.WriteLineAsync($"redriven {commandId}").ConfigureAwait(false);
                }

                return ExitCodes.Success;
            }

            DeadLetterRedriveResult result;
            try
            {
                result = await client.RedriveDeadLettersAsync(new DeadLetterFilter
                {
                    Type = parse.GetValue(type),
                    Tenant = parse.GetValue(tenant),
                    Since = parse.GetValue(since),
                    Until = parse.GetValue(until),
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (MessagingClientException ex) when (ex.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
            {
                throw new CliException($"this gateway has no dead-letter redrive endpoint ({BulkRedriveRoute} answered {(int)ex.StatusCode!})");
            }

            if (json)
            {
                JsonOutput.Write(console.Out, result);
            }
            else
            {
                await console.Out.WriteLineAsync(result.Redriven is { } count
                    ? $"redriven {count.ToString(CultureInfo.InvariantCulture)} dead letter(s)"
                    : "redrive requested").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }
}
