using System.Net;
using Messaging.CommandTypes.Providers;
using Messaging.Contracts.Payments;

namespace Messaging.CommandTypes.Payments;

/// <summary>
/// Executes <c>payments.charge</c>: <c>POST v1/charges</c> at the payments provider, with the command id as
/// idempotency key. The bearer token comes from the provider's client credentials, and the request goes to
/// the configured endpoints in failover order, each with its own breaker (<see cref="PaymentsCommandType"/>).
/// </summary>
internal sealed class ChargePaymentHandler : ICommandHandler<ChargePayment>
{
    private const string RefusedCode = "payment_declined";
    private const string RefusedMessage = "The payments provider declined the charge.";

    /// <summary>Charges the customer. A repeated call with the same command id returns the first result.</summary>
    /// <returns>The stored result <c>{providerId, status}</c>, or the refusal (402).</returns>
    /// <exception cref="ProviderException">No business answer: transient (5xx, 408, 429, timeouts, connection failures) or not.</exception>
    public async Task<CommandResult> HandleAsync(ChargePayment command, CommandContext context)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/charges")
        {
            Content = ProviderHttp.JsonContent(new ChargeRequest(command.Amount, command.Currency, command.CustomerId, command.Description)),
        };

        using var response = await context.SendAsync(request).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            // 201 for a new charge; a replayed idempotency key may answer 200 with the first charge.
            var charge = await ProviderHttp.ReadJsonAsync<ChargeResponse>(response, context.CancellationToken).ConfigureAwait(false);
            if (string.IsNullOrEmpty(charge?.Id))
            {
                throw new ProviderException(context.Provider, "charge response without an id", isTransient: false, response.StatusCode);
            }

            return CommandResult.Accepted(new ChargeResult(charge.Id, charge.Status));
        }

        if (response.StatusCode == HttpStatusCode.PaymentRequired)
        {
            return CommandResult.Refused(
                await CommandStatusError.ReadRefusalAsync(response, RefusedCode, RefusedMessage, context.CancellationToken).ConfigureAwait(false));
        }

        throw ProviderHttp.Unexpected(context.Provider, response);
    }

    /// <inheritdoc />
    public string? Check(ChargePayment command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Amount <= 0)
        {
            return "The amount must be greater than zero.";
        }

        if (command.Currency is not { Length: 3 } currency || !currency.All(char.IsAsciiLetterUpper))
        {
            return "The currency must be an ISO 4217 code of three upper-case letters.";
        }

        return string.IsNullOrWhiteSpace(command.CustomerId) ? "The customer id is required." : null;
    }

    private sealed record ChargeRequest(decimal Amount, string Currency, string CustomerId, string? Description);

    private sealed record ChargeResponse(string? Id, string? Status);

    /// <summary>What is stored in <c>commands.result</c>.</summary>
    private sealed record ChargeResult(string ProviderId, string? Status);
}
