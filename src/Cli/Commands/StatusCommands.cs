using System.CommandLine;
using System.Net;
using Messaging.Cli.Output;
using Messaging.Client;

namespace Messaging.Cli.Commands;

/// <summary>
/// <c>msg status &lt;id&gt;</c>, <c>msg cancel &lt;id&gt;</c> and <c>msg list [--status S] [--type T] [--limit N] [--cursor C]</c>.
/// </summary>
internal static class StatusCommands
{
    public static Command CreateStatus(CliConsole console) =>
        CreateOneCommand(console, "status", "Show one command's status", (client, id, cancellationToken) => client.GetStatusAsync(id, cancellationToken));

    public static Command CreateCancel(CliConsole console) =>
        CreateOneCommand(console, "cancel",
            "Cancel a command no attempt has started (Accepted, Dispatched or Scheduled) and show its status; cancelling it again answers the same",
            async (client, id, cancellationToken) =>
            {
                try
                {
                    return await client.CancelAsync(id, cancellationToken).ConfigureAwait(false);
                }
                catch (MessagingClientException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
                {
                    throw new CliException(ex.CommandStatus is { } current
                        ? $"command {id} is {current} and can no longer be cancelled (409)"
                        : $"command {id} not cancelled (409): {ex.ProblemDetail ?? ex.ProblemTitle}");
                }
            });

    public static Command CreateList(CliConsole console)
    {
        var status = new Option<CommandStatus?>("--status", "-s") { Description = "Only commands in this status (Accepted, Succeeded, Failed, DeadLettered, ...)" };
        var type = new Option<string>("--type", "-t") { Description = "Only commands of this type" };
        var limit = new Option<int?>("--limit", "-n") { Description = "How many (1-100; default 20)" };
        var cursor = new Option<string>("--cursor") { Description = "Continue after a previous page (its next cursor)" };
        var command = new Command("list", "List your tenant's commands, newest first") { status, type, limit, cursor };
        command.SetAction(CommandActions.Action(console, async (parse, client, cancellationToken) =>
        {
            var page = await client.ListAsync(new CommandListQuery
            {
                Status = parse.GetValue(status),
                Type = parse.GetValue(type),
                Limit = parse.GetValue(limit),
                Cursor = parse.GetValue(cursor),
            }, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(JsonOutput.Option))
            {
                JsonOutput.Write(console.Out, page);
                return ExitCodes.Success;
            }

            WriteList(console.Out, page.Items);
            if (page.NextCursor is { } next)
            {
                await console.Out.WriteLineAsync($"more: msg list --cursor {next}").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>A command that acts on one command by id and shows its status document, as <c>msg status</c> does.</summary>
    private static Command CreateOneCommand(CliConsole console, string name, string description, Func<MessagingClient, Guid, CancellationToken, Task<CommandInfo>> call)
    {
        var id = new Argument<Guid>("id") { Description = "The command id" };
        var command = new Command(name, description) { id };
        command.SetAction(CommandActions.Action(console, async (parse, client, cancellationToken) =>
        {
            var commandId = parse.GetValue(id);
            CommandInfo info;
            try
            {
                info = await call(client, commandId, cancellationToken).ConfigureAwait(false);
            }
            catch (MessagingClientException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                throw new CliException($"command {commandId} not found (404): unknown id, or another tenant's command");
            }

            JsonOutput.Print(parse, console.Out, info, WriteDetails);
            return ExitCodes.Success;
        }));
        return command;
    }

    public static void WriteList(TextWriter writer, IReadOnlyList<CommandInfo> items)
    {
        if (items.Count == 0)
        {
            writer.WriteLine("no commands");
            return;
        }

        var table = new Table("ID", "TYPE", "STATUS", "ATTEMPTS", "CREATED", "UPDATED");
        foreach (var item in items)
        {
            table.Add(item.Id.ToString(), item.Type, item.Status.ToString(), Cells.Number(item.Attempts), Cells.Time(item.CreatedAt), Cells.Time(item.UpdatedAt));
        }

        table.WriteTo(writer);
    }

    public static void WriteDetails(TextWriter writer, CommandInfo info)
    {
        var table = new Table("FIELD", "VALUE")
            .Add("id", info.Id.ToString())
            .Add("type", info.Type)
            .Add("status", info.Status.ToString())
            .Add("attempts", Cells.Number(info.Attempts))
            .Add("created", Cells.Time(info.CreatedAt))
            .Add("updated", Cells.Time(info.UpdatedAt))
            .Add("deadline", Cells.Time(info.Deadline));
        if (info.NotBefore is not null)
        {
            table.Add("not before", Cells.Time(info.NotBefore));
        }

        if (info.Result is not null)
        {
            table.Add("result", JsonOutput.Inline(info.Result));
        }

        if (info.Error is { } error)
        {
            table.Add("error", $"{error.Code}: {CommandActions.OneLine(error.Message)}");
        }

        if (info.Callback is { } callback)
        {
            table.Add("callback", CallbackCell(callback));
        }

        table.WriteTo(writer);
    }

    /// <summary><c>Delivered (2 attempts)</c>, <c>Delivering (3 attempts; last error: …)</c>: the state as the gateway names it.</summary>
    public static string CallbackCell(CallbackInfo callback)
    {
        var attempts = callback.Attempts == 1 ? "1 attempt" : $"{Cells.Number(callback.Attempts)} attempts";
        return callback.LastError is { Length: > 0 } error
            ? $"{callback.State} ({attempts}; last error: {CommandActions.OneLine(error)})"
            : $"{callback.State} ({attempts})";
    }
}
