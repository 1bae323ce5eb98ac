using System.CommandLine;
using System.CommandLine.Help;
using Messaging.Cli.Commands;
using Messaging.Cli.Output;
using Messaging.Client;

namespace Messaging.Cli;

/// <summary>The <c>msg</c> command tree and how failures become one line and an exit code.</summary>
internal static class MsgCommandLine
{
    public static async Task<int> RunAsync(string[] args, CliConsole console)
    {
        // A plain command named "msg" rather than RootCommand, whose name is the entry assembly's (Messaging.Cli).
        var root = new Command("msg",
            """
            msg: publish commands to the messaging gateway and operate it.
            Exit codes: 0 done, 1 the gateway refused or could not be reached, 2 wrong usage,
            3 (--wait) the command ended Failed, DeadLettered or Expired, 4 (--wait) it did not end in time.
            """)
        {
            GatewayConnection.GatewayOption,
            GatewayConnection.ClientIdOption,
            GatewayConnection.ClientSecretOption,
            JsonOutput.Option,
            new HelpOption(),
            new VersionOption(),
        };
        root.Subcommands.Add(PublishCommand.Create(console));
        root.Subcommands.Add(TypesCommand.Create(console));
        root.Subcommands.Add(StatusCommands.CreateStatus(console));
        root.Subcommands.Add(StatusCommands.CreateList(console));
        root.Subcommands.Add(QueuesCommand.Create(console));
        root.Subcommands.Add(DeadLettersCommand.Create(console));
        root.Subcommands.Add(BreakersCommand.Create(console));

        // No response files: "@file" is the tool's own syntax for --data.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0)
        {
            var reasons = string.Join("; ", parse.Errors.Select(e => OneLine(e.Message).TrimEnd('.')).Distinct(StringComparer.Ordinal));
            await console.Error.WriteLineAsync($"msg: {reasons} (see msg --help)").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error }).ConfigureAwait(false);
    }

    /// <summary>
    /// Wraps a command's work: opens the gateway connection, and turns every expected failure into one line
    /// on standard error and its exit code.
    /// </summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Action(
        CliConsole console, Func<ParseResult, MessagingClient, CancellationToken, Task<int>> work) => async (parse, cancellationToken) =>
    {
        try
        {
            using var connection = GatewayConnection.Open(parse);
            return await work(parse, connection.Client, cancellationToken).ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            await console.Error.WriteLineAsync($"msg: {OneLine(ex.Message)}").ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (MessagingClientException ex)
        {
            await console.Error.WriteLineAsync($"msg: {OneLine(ex.Message)}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("msg: interrupted").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
    };

    public static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
