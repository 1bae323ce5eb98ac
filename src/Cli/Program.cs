using Messaging.Cli;

return await MsgCommandLine.RunAsync(args, new CliConsole(Console.Out, Console.Error, Interactive: !Console.IsErrorRedirected));
