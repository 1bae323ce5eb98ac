using System.CommandLine;
using System.CommandLine.Help;
using Messaging.Cli.Output;

namespace Messaging.Cli.Commands;

/// <summary>The <c>msg</c> command tree: its options, its subcommands, and how a usage error becomes one line and exit code 2.</summary>
internal static class MsgCommandLine
{
    public static async Task<int> RunAsync(string[] args, CliConsole console)
    {
        // A plain command named "msg" rather than RootCommand, whose name is the entry assembly's (Messaging.Cli).
        var root = new Command("msg",
            """
            msg: publish commands to the messaging gateway and operate it.
            Exit codes: 0 done, 1 the gateway refused or could not be reached, 2 wrong usage,
            3 (--wait) the command ended Failed, DeadLettered, Expired or Cancelled, 4 (--wait) it did not end in time.
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
        root.Subcommands.Add(StatusCommands.CreateCancel(console));
        root.Subcommands.Add(StatusCommands.CreateList(console));
        root.Subcommands.Add(QueuesCommand.Create(console));
        root.Subcommands.Add(DeadLettersCommand.Create(console));
        root.Subcommands.Add(BreakersCommand.Create(console));
        root.Subcommands.Add(AuditCommand.Create(console));

        // No response files: "@file" is the tool's own syntax for --data.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0)
        {
            var reasons = string.Join("; ", parse.Errors.Select(e => CommandActions.OneLine(e.Message).TrimEnd('.')).Distinct(StringComparer.Ordinal));
            await console.Error.WriteLineAsync($"msg: {reasons} (see msg --help)").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error }).ConfigureAwait(false);
    }
}
