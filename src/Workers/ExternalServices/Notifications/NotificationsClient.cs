using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Messaging.Contracts.Notifications;
using Microsoft.Extensions.Options;
using Polly;

namespace Messaging.Workers.ExternalServices.Notifications;

/// <summary>
/// The notifications provider's API: <c>POST v1/messages</c> with the API key as bearer token and the
/// command id as idempotency key, sent to the configured endpoints in failover order
/// (<see cref="ProviderEndpointsHandler"/>), each with its own breaker.
/// </summary>
internal sealed class NotificationsClient(HttpClient http, IOptionsMonitor<NotificationsOptions> options)
{
    /// <summary>The provider's name in errors, logs and configuration.</summary>
    public const string ProviderName = "notifications";

    private const string RefusedCode = "notification_rejected";
    private const string RefusedMessage = "The notifications provider rejected the message.";

    /// <summary>Sends the message. A repeated call with the same command id returns the first result.</summary>
    /// <param name="command">The command.</param>
    /// <param name="context">The execution's resilience context: its cancellation token and the command's deadline.</param>
    /// <returns>The stored result <c>{providerId}</c>, or the refusal (400).</returns>
    /// <exception cref="ProviderException">No business answer: transient (5xx, 408, 429, timeouts, connection failures) or not.</exception>
    public async Task<ProviderOutcome> SendAsync(SendNotification command, ResilienceContext context)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        var cancellationToken = context.CancellationToken;
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = ProviderHttp.JsonContent(new MessageRequest(command.Channel, command.To, command.Subject, command.Body)),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.CurrentValue.ApiKey);
        request.Headers.Add(ProviderHttp.IdempotencyKeyHeader, command.CommandId.ToString("D", CultureInfo.InvariantCulture));

        using var response = await ProviderHttp.SendAsync(http, request, ProviderName, context).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            // 202 for a new message; a replayed idempotency key may answer 200 with the first one.
            var accepted = await ProviderHttp.ReadJsonAsync<MessageResponse>(response, cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrEmpty(accepted?.Id))
            {
                throw new ProviderException(ProviderName, "message response without an id", isTransient: false, response.StatusCode);
            }

            return ProviderOutcome.Accepted(JsonSerializer.Serialize(new MessageResult(accepted.Id), ProviderHttp.Json));
        }

        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            return ProviderOutcome.Refused(await ProviderHttp.ReadRefusalAsync(response, RefusedCode, RefusedMessage, cancellationToken).ConfigureAwait(false));
        }

        throw ProviderHttp.Unexpected(ProviderName, response);
    }

    private sealed record MessageRequest(string Channel, string To, string? Subject, string Body);

    private sealed record MessageResponse(string? Id);

    /// <summary>What is stored in <c>commands.result</c>.</summary>
    private sealed record MessageResult(string ProviderId);
}
