using Messaging.CommandTypes;
using Messaging.Contracts.Callbacks;
using Microsoft.Extensions.Options;

namespace Messaging.Workers.Callbacks;

/// <summary>
/// Checks <c>Callbacks:MaxConcurrencyPerOrigin</c>: at least 1, and below the <c>callbacks.deliver</c> endpoint's own
/// concurrency (<c>Commands:Types:callbacks.deliver:Flow:ConcurrencyLimit</c>), or one slow origin could take every slot.
/// </summary>
internal sealed class CallbackDeliveryOptionsValidator(IOptionsMonitor<CommandTypeOptions> types) : IValidateOptions<CallbackDeliveryOptions>
{
    private const string Key = $"{CallbackDeliveryOptions.SectionName}:{nameof(CallbackDeliveryOptions.MaxConcurrencyPerOrigin)}";

    public ValidateOptionsResult Validate(string? name, CallbackDeliveryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxConcurrencyPerOrigin < 1)
        {
            return ValidateOptionsResult.Fail($"{Key} must be at least 1.");
        }

        int endpoint;
        try
        {
            endpoint = types.Get(CallbackEventTypes.DeliveryTypeName).Flow.ConcurrencyLimit;
        }
        catch (OptionsValidationException)
        {
            // The type's own settings are invalid: their validation says so, once.
            return ValidateOptionsResult.Success;
        }

        return options.MaxConcurrencyPerOrigin < endpoint
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{Key} ({options.MaxConcurrencyPerOrigin}) must be below "
                + $"{CommandTypeOptions.SectionName}:{CallbackEventTypes.DeliveryTypeName}:Flow:ConcurrencyLimit ({endpoint}), so that one slow origin "
                + "cannot take every slot of the endpoint.");
    }
}
