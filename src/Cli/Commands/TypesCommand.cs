using System.CommandLine;
using Messaging.Cli.Output;
using Messaging.Client;

namespace Messaging.Cli.Commands;

/// <summary><c>msg types</c>: the command types the gateway accepts (<c>GET /api/command-types</c>, scope commands).</summary>
internal static class TypesCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("types", "List the command types the gateway accepts: name, provider, default timeout (--json adds each body's JSON Schema)");
        command.SetAction(CommandActions.Action(console, async (parse, client, cancellationToken) =>
        {
            JsonOutput.Print(parse, console.Out, await client.ListCommandTypesAsync(cancellationToken).ConfigureAwait(false), WriteTypes);
            return ExitCodes.Success;
        }));
        return command;
    }

    public static void WriteTypes(TextWriter output, IReadOnlyList<CommandTypeInfo> types)
    {
        if (types.Count == 0)
        {
            output.WriteLine("no command types");
            return;
        }

        var table = new Table("NAME", "PROVIDER", "DEFAULT TIMEOUT");
        foreach (var type in types)
        {
            table.Add(type.Name, type.Provider, Cells.Duration(type.DefaultTimeout));
        }

        table.WriteTo(output);
    }
}
