using System.Globalization;
using System.Net;
using System.Text.Json;
using Messaging.Contracts.Payments;
using Polly;

namespace Messaging.Workers.ExternalServices.Payments;

/// <summary>
/// The payments provider's API: <c>POST v1/charges</c> with the command id as idempotency key.
/// The bearer token comes from <see cref="Credentials.ClientCredentialsHandler"/>, and the request goes to
/// the configured endpoints in failover order (<see cref="ProviderEndpointsHandler"/>), each with its own breaker.
/// </summary>
internal sealed class PaymentsClient(HttpClient http)
{
    /// <summary>The provider's name in errors, logs and configuration.</summary>
    public const string ProviderName = "payments";

    private const string RefusedCode = "payment_declined";
    private const string RefusedMessage = "The payments provider declined the charge.";

    /// <summary>Charges the customer. A repeated call with the same command id returns the first result.</summary>
    /// <param name="command">The command.</param>
    /// <param name="context">The execution's resilience context: its cancellation token and the command's deadline.</param>
    /// <returns>The stored result <c>{providerId, status}</c>, or the refusal (402).</returns>
    /// <exception cref="ProviderException">No business answer: transient (5xx, 408, 429, timeouts, connection failures) or not.</exception>
    public async Task<ProviderOutcome> ChargeAsync(ChargePayment command, ResilienceContext context)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        var cancellationToken = context.CancellationToken;
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/charges")
        {
            Content = ProviderHttp.JsonContent(new ChargeRequest(command.Amount, command.Currency, command.CustomerId, command.Description)),
        };
        request.Headers.Add(ProviderHttp.IdempotencyKeyHeader, command.CommandId.ToString("D", CultureInfo.InvariantCulture));

        using var response = await ProviderHttp.SendAsync(http, request, ProviderName, context).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            // 201 for a new charge; a replayed idempotency key may answer 200 with the first charge.
            var charge = await ProviderHttp.ReadJsonAsync<ChargeResponse>(response, cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrEmpty(charge?.Id))
            {
                throw new ProviderException(ProviderName, "charge response without an id", isTransient: false, response.StatusCode);
            }

            return ProviderOutcome.Accepted(JsonSerializer.Serialize(new ChargeResult(charge.Id, charge.Status), ProviderHttp.Json));
        }

        if (response.StatusCode == HttpStatusCode.PaymentRequired)
        {
            return ProviderOutcome.Refused(await ProviderHttp.ReadRefusalAsync(response, RefusedCode, RefusedMessage, cancellationToken).ConfigureAwait(false));
        }

        throw ProviderHttp.Unexpected(ProviderName, response);
    }

    private sealed record ChargeRequest(decimal Amount, string Currency, string CustomerId, string? Description);

    private sealed record ChargeResponse(string? Id, string? Status);

    /// <summary>What is stored in <c>commands.result</c>.</summary>
    private sealed record ChargeResult(string ProviderId, string? Status);
}
