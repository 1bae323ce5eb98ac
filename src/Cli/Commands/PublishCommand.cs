using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Messaging.Cli.Output;
using Messaging.Client;

namespace Messaging.Cli.Commands;

/// <summary><c>msg publish &lt;type&gt; --data &lt;json|@file&gt; [--idempotency-key K] [--timeout S] [--wait]</c>.</summary>
internal static class PublishCommand
{
    public static Command Create(CliConsole console)
    {
        // The tool cannot know the gateway's types offline: msg types asks the gateway.
        var type = new Argument<string>("type")
        {
            Description = "The command type, for example payments.charge or notifications.send; msg types lists the gateway's types",
        };
        var data = new Option<string>("--data", "-d")
        {
            Description = "The command as JSON, @file to read it from a file, or @- to read standard input",
            Required = true,
        };
        var key = new Option<string>("--idempotency-key", "-k") { Description = "The Idempotency-Key (default: a new key; retries reuse it)" };
        var timeout = new Option<int?>("--timeout") { Description = "Command-Timeout in seconds (1-86400): how long the command may take" };
        var wait = new Option<bool>("--wait", "-w") { Description = "Wait until the command ends, showing progress; exit 3 unless it succeeded" };
        var waitTimeout = new Option<int>("--wait-timeout")
        {
            Description = "With --wait: give up waiting after this many seconds (exit 4)",
            DefaultValueFactory = _ => 120,
        };

        var command = new Command("publish", "Send a command to the gateway (msg types lists the types it accepts)") { type, data, key, timeout, wait, waitTimeout };
        command.SetAction(CommandActions.Action(console, async (parse, client, cancellationToken) =>
        {
            var payload = await ReadPayloadAsync(parse.GetValue(data)!, cancellationToken).ConfigureAwait(false);
            var options = new SendOptions
            {
                IdempotencyKey = parse.GetValue(key),
                Timeout = parse.GetValue(timeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            };
            if (options.Timeout is { TotalSeconds: < 1 or > 86_400 })
            {
                throw new CliException("--timeout must be from 1 to 86400 seconds", ExitCodes.Usage);
            }

            var accepted = await client.SendAsync(parse.GetValue(type)!, payload, options, cancellationToken).ConfigureAwait(false);
            var json = parse.GetValue(JsonOutput.Option);
            if (!parse.GetValue(wait))
            {
                if (json)
                {
                    JsonOutput.Write(console.Out, accepted);
                }
                else
                {
                    await console.Out.WriteLineAsync(
                        $"{accepted.Status} {accepted.Type} {accepted.Id}{(accepted.Replayed ? " (replayed: this idempotency key was used before)" : "")}").ConfigureAwait(false);
                    await console.Out.WriteLineAsync($"idempotency key: {accepted.IdempotencyKey}").ConfigureAwait(false);
                }

                return ExitCodes.Success;
            }

            if (!json)
            {
                await console.Out.WriteLineAsync($"{accepted.Status} {accepted.Type} {accepted.Id}").ConfigureAwait(false);
            }

            var limit = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(waitTimeout)));
            var progress = new WaitProgress(console, TimeProvider.System);
            var final = await client.WaitForCompletionAsync(accepted.Id, limit, progress, cancellationToken).ConfigureAwait(false);
            progress.Finish();
            if (json)
            {
                JsonOutput.Write(console.Out, final);
            }
            else
            {
                StatusCommands.WriteDetails(console.Out, final);
            }

            if (!final.IsTerminal)
            {
                await console.Error.WriteLineAsync(
                    $"msg: command {final.Id} did not end within {limit.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s (last status {final.Status}); follow it with msg status {final.Id}")
                    .ConfigureAwait(false);
                return ExitCodes.WaitTimedOut;
            }

            if (final.Status != CommandStatus.Succeeded)
            {
                var reason = final.Error is { } error ? $": {error.Code}: {error.Message}" : "";
                await console.Error.WriteLineAsync($"msg: command {final.Id} ended {final.Status}{CommandActions.OneLine(reason)}").ConfigureAwait(false);
                return ExitCodes.CommandNotSucceeded;
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task<JsonElement> ReadPayloadAsync(string data, CancellationToken cancellationToken)
    {
        string text;
        if (data == "@-")
        {
            text = await Console.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (data.StartsWith('@'))
        {
            var path = data[1..];
            if (!File.Exists(path))
            {
                throw new CliException($"--data: file '{path}' not found", ExitCodes.Usage);
            }

            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            text = data;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CliException("--data must be a JSON object, for example {\"amount\":12.5,\"currency\":\"EUR\",\"customerId\":\"cus_1\"}", ExitCodes.Usage);
            }

            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new CliException($"--data is not valid JSON ({ex.Message})", ExitCodes.Usage);
        }
    }

    /// <summary>
    /// Shows the status while waiting, on standard error (standard output stays clean for <c>--json</c>):
    /// one line rewritten in place for a person, one line per status change otherwise.
    /// </summary>
    private sealed class WaitProgress(CliConsole console, TimeProvider timeProvider) : IProgress<CommandInfo>
    {
        private readonly long _started = timeProvider.GetTimestamp();
        private CommandStatus? _last;
        private bool _lineOpen;

        public void Report(CommandInfo value)
        {
            var elapsed = timeProvider.GetElapsedTime(_started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
            if (console.Interactive)
            {
                console.Error.Write($"\r  waiting: {value.Status,-12} attempts {value.Attempts}  {elapsed} s   ");
                _lineOpen = true;
            }
            else if (value.Status != _last)
            {
                console.Error.WriteLine($"  waiting: {value.Status} after {elapsed} s");
            }

            _last = value.Status;
        }

        public void Finish()
        {
            if (_lineOpen)
            {
                console.Error.WriteLine();
                _lineOpen = false;
            }
        }
    }
}
