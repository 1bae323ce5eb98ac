using Messaging.Cli;
using Messaging.Cli.Commands;

return await MsgCommandLine.RunAsync(args, new CliConsole(Console.Out, Console.Error, Interactive: !Console.IsErrorRedirected));
