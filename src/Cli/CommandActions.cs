using System.CommandLine;
using Messaging.Client;

namespace Messaging.Cli;

/// <summary>What every <c>msg</c> subcommand shares: how its work runs and how a failure becomes one line and an exit code.</summary>
internal static class CommandActions
{
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
        catch (MessagingClientException ex) when (ex.RequiredScope is { } scope)
        {
            // The gateway refused the token, not the request: say which scope would do, and how an operator gets it.
            var hint = scope == "operator" ? " (an operator client, made with 'clients add --operator')" : "";
            await console.Error.WriteLineAsync($"msg: forbidden (403): this needs scope {scope}{hint}; this client's token does not carry it")
                .ConfigureAwait(false);
            return ExitCodes.Failure;
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

    /// <summary>A message on one line (the CLI prints one line per failure).</summary>
    public static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
