using Messaging.Store.Outbox;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Commands;

/// <summary>
/// Refuses <c>Retention:Commands</c> shorter than <c>Commands:IdempotencyRetention</c>: a key replayed within its
/// retention answers with its command's id, so the command must still be there to be read.
/// </summary>
internal sealed class RetentionOptionsValidator(IOptionsMonitor<CommandsOptions> commands) : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        TimeSpan idempotency;
        try
        {
            idempotency = commands.CurrentValue.IdempotencyRetention;
        }
        catch (OptionsValidationException)
        {
            // Invalid Commands options fail the start on their own, with their own message.
            return ValidateOptionsResult.Skip;
        }

        if (options.Commands >= idempotency)
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(
            $"{RetentionOptions.SectionName}:{nameof(RetentionOptions.Commands)} ({options.Commands:c}) is shorter than "
            + $"{CommandsOptions.SectionName}:{nameof(CommandsOptions.IdempotencyRetention)} ({idempotency:c}): a command would be "
            + "deleted while its idempotency key can still be replayed. Raise the first or lower the second.");
    }
}
