using System.CommandLine;
using System.Globalization;
using System.Net;
using Messaging.Cli.Output;
using Messaging.Client;

namespace Messaging.Cli.Commands;

/// <summary>
/// <c>msg dead-letters list</c> (stored dead letters and the totals) and <c>msg dead-letters redrive</c>
/// (one command with <c>--id</c>, or in bulk by type, tenant and time; <c>--deadline</c> gives them a new deadline).
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
        var filter = new FilterOptions();
        var all = new Option<bool>("--all") { Description = "Include dead letters already redriven" };
        var command = new Command("list", "Stored dead letters, newest first, with the totals (scope admin: your tenant's; operator: every tenant's)") { all };
        filter.AddTo(command);
        command.SetAction(CommandActions.Action(console, async (parse, client, cancellationToken) =>
        {
            IReadOnlyList<DeadLetterInfo> letters;
            try
            {
                letters = await client.ListDeadLettersAsync(filter.Read(parse), parse.GetValue(all), cancellationToken).ConfigureAwait(false);
            }
            catch (MessagingClientException ex) when (IsMissingRoute(ex))
            {
                throw new CliException($"this gateway has no dead-letter list (GET /api/monitoring/dead-letters answered {(int)ex.StatusCode!})");
            }

            var summary = (await client.GetMonitoringOverviewAsync(cancellationToken).ConfigureAwait(false)).DeadLetters;
            if (parse.GetValue(JsonOutput.Option))
            {
                JsonOutput.Write(console.Out, new { summary, deadLetters = letters });
                return ExitCodes.Success;
            }

            WriteSummary(console.Out, summary);
            await console.Out.WriteLineAsync().ConfigureAwait(false);
            if (letters.Count == 0)
            {
                await console.Out.WriteLineAsync("no dead letters match").ConfigureAwait(false);
                return ExitCodes.Success;
            }

            var table = new Table("ID", "COMMAND", "TYPE", "TENANT", "ATTEMPTS", "SOURCE", "REASON", "LAST FAILURE", "REDRIVEN");
            foreach (var letter in letters)
            {
                table.Add(letter.Id.ToString(CultureInfo.InvariantCulture), letter.CommandId?.ToString(), letter.Type, letter.Tenant,
                    Cells.Number(letter.Attempts), letter.Source, CommandActions.OneLine(letter.Reason), Cells.Time(letter.LastFailureAt),
                    letter.RedrivenAt is null ? "-" : $"{Cells.Time(letter.RedrivenAt)} by {letter.RedrivenBy}");
            }

            table.WriteTo(console.Out);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateRedrive(CliConsole console)
    {
        var id = new Option<Guid?>("--id") { Description = "Redrive this one dead-lettered command of your tenant (scope commands)" };
        var deadline = new Option<DateTimeOffset?>("--deadline")
        {
            Description = "The redriven commands' new deadline (ISO 8601 with offset, in the future, at most 30 days ahead); default: each type's default timeout from when it is sent again",
        };
        var filter = new FilterOptions();
        var command = new Command("redrive", "Send dead letters back through the outbox, each once, with a fresh deadline: one with --id, or in bulk by filter (scope admin: your tenant's; operator: any tenant's)")
        {
            id, deadline,
        };
        filter.AddTo(command);
        command.SetAction(CommandActions.Action(console, async (parse, client, cancellationToken) =>
        {
            var commandId = parse.GetValue(id);
            var bulk = filter.Read(parse);
            if (commandId is not null && bulk != new DeadLetterFilter())
            {
                throw new CliException("--id redrives one command: leave out the bulk filters", ExitCodes.Usage);
            }

            DeadLetterRedriveResult result;
            try
            {
                result = commandId is { } one
                    ? await client.RedriveCommandAsync(one, parse.GetValue(deadline), cancellationToken).ConfigureAwait(false)
                    : await client.RedriveDeadLettersAsync(bulk, parse.GetValue(deadline), cancellationToken).ConfigureAwait(false);
            }
            catch (MessagingClientException ex) when (IsMissingRoute(ex))
            {
                var route = commandId is { } one ? $"POST /api/commands/{one}/redrive" : BulkRedriveRoute;
                throw new CliException($"this gateway has no dead-letter redrive endpoint ({route} answered {(int)ex.StatusCode!})");
            }
            catch (MessagingClientException ex) when (commandId is not null && ex.StatusCode == HttpStatusCode.NotFound)
            {
                throw new CliException($"command {commandId} not found (404): unknown id, or another tenant's command");
            }
            catch (MessagingClientException ex) when (ex.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.BadRequest)
            {
                throw new CliException($"not redriven ({(int)ex.StatusCode!}): {ex.ProblemDetail ?? ex.ProblemTitle ?? ex.Message}");
            }

            if (parse.GetValue(JsonOutput.Option))
            {
                JsonOutput.Write(console.Out, result);
            }
            else
            {
                await console.Out.WriteLineAsync(
                    $"redriven {result.Redriven.ToString(CultureInfo.InvariantCulture)}, skipped {result.Skipped.ToString(CultureInfo.InvariantCulture)} (unreadable)")
                    .ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    // A route the gateway does not have answers the generic problem ("Not Found", or 405 for another method);
    // an unknown command has its own title.
    private static bool IsMissingRoute(MessagingClientException exception) =>
        exception.StatusCode is HttpStatusCode.MethodNotAllowed
        || (exception.StatusCode is HttpStatusCode.NotFound && exception.ProblemTitle is null or "Not Found");

    /// <summary>The filters shared by list and bulk redrive.</summary>
    private sealed class FilterOptions
    {
        private readonly Option<string> _type = new("--type", "-t") { Description = "Only this command type" };
        private readonly Option<string> _tenant = new("--tenant") { Description = "Only this tenant (an operator's choice; a tenant admin may only name its own)" };
        private readonly Option<DateTimeOffset?> _from = new("--from") { Description = "Only dead letters stored at or after this time (ISO 8601)" };
        private readonly Option<DateTimeOffset?> _to = new("--to") { Description = "Only dead letters stored before this time (ISO 8601)" };
        private readonly Option<int?> _limit = new("--limit", "-n") { Description = "At most this many" };

        public void AddTo(Command command)
        {
            command.Options.Add(_type);
            command.Options.Add(_tenant);
            command.Options.Add(_from);
            command.Options.Add(_to);
            command.Options.Add(_limit);
        }

        public DeadLetterFilter Read(ParseResult parse) => new()
        {
            Type = parse.GetValue(_type),
            Tenant = parse.GetValue(_tenant),
            From = parse.GetValue(_from),
            To = parse.GetValue(_to),
            Limit = parse.GetValue(_limit),
        };
    }
}
