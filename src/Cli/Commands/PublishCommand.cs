using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Messaging.Cli.Output;
using Messaging.Client;

namespace Messaging.Cli.Commands;

/// <summary>
/// <c>msg publish &lt;type&gt; --data &lt;json|@file&gt; [--idempotency-key K] [--timeout S] [--not-before T] [--callback-url U] [--wait]</c>, and
/// <c>msg publish --batch &lt;file.jsonl|-&gt; [--timeout S] [--not-before T] [--callback-url U]</c> (see <see cref="PublishBatch"/>).
/// </summary>
internal static class PublishCommand
{
    public static Command Create(CliConsole console)
    {
        // The tool cannot know the gateway's types offline: msg types asks the gateway.
        var type = new Argument<string>("type")
        {
            Description = "The command type, for example payments.charge or notifications.send; msg types lists the gateway's types",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var data = new Option<string>("--data", "-d")
        {
            Description = "The command as JSON, @file to read it from a file, or @- to read standard input",
        };
        var key = new Option<string>("--idempotency-key", "-k") { Description = "The Idempotency-Key (default: a new key; retries reuse it)" };
        var timeout = new Option<int?>("--timeout") { Description = "Command-Timeout in seconds (1-86400): how long the command may take" };
        var notBefore = new Option<DateTimeOffset?>("--not-before")
        {
            Description = $"Not-Before: do not run the command before this time, {Rfc3339.Expected} (at most 30 days ahead)",
            HelpName = "time",
            CustomParser = result =>
            {
                if (Rfc3339.TryParse(result.Tokens.Single().Value, out var time))
                {
                    return time;
                }

                result.AddError($"--not-before must be {Rfc3339.Expected}");
                return null;
            },
        };
        var callbackUrl = new Option<Uri?>("--callback-url")
        {
            Description = "Callback-Url: where the gateway posts a signed event when the command ends; its origin must be on the tenant's allow-list",
            HelpName = "url",
            CustomParser = result =>
            {
                if (Uri.TryCreate(result.Tokens.Single().Value, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp))
                {
                    return url;
                }

                result.AddError("--callback-url must be an absolute http(s) URL");
                return null;
            },
        };
        var batch = new Option<string>("--batch")
        {
            Description = $"Send the commands of a JSON Lines file (- for standard input) instead of one, one {PublishBatch.LineShape} per line; "
                + "--timeout, --not-before and --callback-url apply to lines without their own. "
                + $"More than {MessagingClient.MaxBatchSize} lines go as several requests of at most {MessagingClient.MaxBatchSize}, each stored all or none; "
                + "give every line an idempotencyKey to make sending the file again safe",
            HelpName = "file",
        };
        var wait = new Option<bool>("--wait", "-w") { Description = "Wait until the command ends, showing progress; exit 3 unless it succeeded" };
        var waitTimeout = new Option<int>("--wait-timeout")
        {
            Description = "With --wait: give up waiting after this many seconds (exit 4)",
            DefaultValueFactory = _ => 120,
        };

        var command = new Command("publish", "Send a command, or a batch of commands, to the gateway (msg types lists the types it accepts)")
        {
            type, data, key, timeout, notBefore, callbackUrl, batch, wait, waitTimeout,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(batch) is null)
            {
                if (result.GetResult(type) is null || result.GetResult(data) is null)
                {
                    result.AddError("publish needs a command type and --data (or --batch with a file of commands)");
                }
            }
            else if (result.GetResult(type) is not null || new Option[] { data, key, wait }.Any(option => result.GetResult(option) is not null))
            {
                result.AddError("--batch takes each command's type, body and key from its file: leave out the type, --data, --idempotency-key and --wait");
            }
        });
        command.SetAction(CommandActions.Action(console, async (parse, client, cancellationToken) =>
        {
            var options = new SendOptions
            {
                IdempotencyKey = parse.GetValue(key),
                Timeout = parse.GetValue(timeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                NotBefore = parse.GetValue(notBefore),
                CallbackUrl = parse.GetValue(callbackUrl),
            };
            if (options.Timeout is { TotalSeconds: < 1 or > 86_400 })
            {
                throw new CliException("--timeout must be from 1 to 86400 seconds", ExitCodes.Usage);
            }

            if (parse.GetValue(batch) is { } file)
            {
                var lines = await ReadAllAsync(file, "--batch", cancellationToken).ConfigureAwait(false);
                return await PublishBatch.RunAsync(console, parse, client, lines, options, cancellationToken).ConfigureAwait(false);
            }

            var payload = await ReadPayloadAsync(parse.GetValue(data)!, cancellationToken).ConfigureAwait(false);
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

    /// <summary>The text of a file, or of standard input for <c>-</c> (a leading <c>@</c>, as in <c>--data @file</c>, is allowed).</summary>
    private static async Task<string> ReadAllAsync(string source, string option, CancellationToken cancellationToken)
    {
        var path = source.StartsWith('@') ? source[1..] : source;
        if (path == "-")
        {
            return await Console.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }

        if (!File.Exists(path))
        {
            throw new CliException($"{option}: file '{path}' not found", ExitCodes.Usage);
        }

        return await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<JsonElement> ReadPayloadAsync(string data, CancellationToken cancellationToken)
    {
        var text = data.StartsWith('@') ? await ReadAllAsync(data, "--data", cancellationToken).ConfigureAwait(false) : data;

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
