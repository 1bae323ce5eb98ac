using System.Net;
using Messaging.CommandTypes;
using Messaging.CommandTypes.Providers;
using Microsoft.Extensions.Options;

namespace Messaging.Samples.ShippingLabels;

/// <summary>
/// Executes <c>shipping.labels.create</c>: <c>POST v1/labels</c> at the shipping provider with its API key
/// (<c>X-Api-Key</c>) and the command id as idempotency key. 201 (or 200 for a replayed key) is the label;
/// 422 is a refusal (the carrier does not deliver there); anything else without an answer is the host's
/// business: transient failures are retried, the rest dead-lettered.
/// </summary>
internal sealed class CreateShippingLabelHandler(IOptionsMonitor<ShippingOptions> options) : ICommandHandler<CreateShippingLabel>
{
    public async Task<CommandResult> HandleAsync(CreateShippingLabel command, CommandContext context)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/labels")
        {
            Content = ProviderHttp.JsonContent(new LabelRequest(command.Carrier, command.Recipient, command.PostalCode, command.Country, command.WeightGrams)),
        };
        request.Headers.Add("X-Api-Key", options.CurrentValue.ApiKey);

        using var response = await context.SendAsync(request).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            var label = await ProviderHttp.ReadJsonAsync<LabelResponse>(response, context.CancellationToken).ConfigureAwait(false);
            if (string.IsNullOrEmpty(label?.Id) || string.IsNullOrEmpty(label.TrackingNumber))
            {
                throw new ProviderException(context.Provider, "label response without an id", isTransient: false, response.StatusCode);
            }

            return CommandResult.Accepted(new LabelResult(label.Id, label.TrackingNumber, label.Carrier ?? command.Carrier));
        }

        if (response.StatusCode == HttpStatusCode.UnprocessableEntity)
        {
            return CommandResult.Refused(await CommandStatusError.ReadRefusalAsync(response, "label_refused",
                "The shipping provider refused the label.", context.CancellationToken).ConfigureAwait(false));
        }

        throw ProviderHttp.Unexpected(context.Provider, response);
    }

    /// <inheritdoc />
    public string? Check(CreateShippingLabel command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.WeightGrams is > 0 and <= CreateShippingLabelRequest.MaxWeightGrams && !string.IsNullOrWhiteSpace(command.PostalCode)
            ? null
            : "The label needs a postal code and a weight between 1 and 31500 grams.";
    }

    private sealed record LabelRequest(string Carrier, string Recipient, string PostalCode, string Country, int WeightGrams);

    private sealed record LabelResponse(string? Id, string? TrackingNumber, string? Carrier);

    /// <summary>What is stored as the command's result.</summary>
    private sealed record LabelResult(string LabelId, string TrackingNumber, string Carrier);
}
