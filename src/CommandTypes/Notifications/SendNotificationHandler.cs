using System.Net;
using System.Net.Http.Headers;
using Messaging.CommandTypes.Providers;
using Messaging.Contracts.Notifications;
using Microsoft.Extensions.Options;

namespace Messaging.CommandTypes.Notifications;

/// <summary>
/// Executes <c>notifications.send</c>: <c>POST v1/messages</c> at the notifications provider with the API key
/// as bearer token and the command id as idempotency key, sent to the configured endpoints in failover
/// order, each with its own breaker.
/// </summary>
internal sealed class SendNotificationHandler(IOptionsMonitor<NotificationsOptions> options) : ICommandHandler<SendNotification>
{
    private const string RefusedCode = "notification_rejected";
    private const string RefusedMessage = "The notifications provider rejected the message.";

    /// <summary>Sends the message. A repeated call with the same command id returns the first result.</summary>
    /// <returns>The stored result <c>{providerId}</c>, or the refusal (400).</returns>
    /// <exception cref="ProviderException">No business answer: transient (5xx, 408, 429, timeouts, connection failures) or not.</exception>
    public async Task<CommandResult> HandleAsync(SendNotification command, CommandContext context)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = ProviderHttp.JsonContent(new MessageRequest(command.Channel, command.To, command.Subject, command.Body)),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.CurrentValue.ApiKey);

        using var response = await context.SendAsync(request).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            // 202 for a new message; a replayed idempotency key may answer 200 with the first one.
            var accepted = await ProviderHttp.ReadJsonAsync<MessageResponse>(response, context.CancellationToken).ConfigureAwait(false);
            if (string.IsNullOrEmpty(accepted?.Id))
            {
                throw new ProviderException(context.Provider, "message response without an id", isTransient: false, response.StatusCode);
            }

            return CommandResult.Accepted(new MessageResult(accepted.Id));
        }

        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            return CommandResult.Refused(
                await CommandStatusError.ReadRefusalAsync(response, RefusedCode, RefusedMessage, context.CancellationToken).ConfigureAwait(false));
        }

        throw ProviderHttp.Unexpected(context.Provider, response);
    }

    /// <inheritdoc />
    public string? Check(SendNotification command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Channel is not (SendNotificationRequest.Email or SendNotificationRequest.Sms))
        {
            return "The channel must be 'email' or 'sms'.";
        }

        if (string.IsNullOrWhiteSpace(command.To))
        {
            return "The recipient is required.";
        }

        if (string.IsNullOrEmpty(command.Body))
        {
            return "The body is required.";
        }

        return command.FallbackTo is { } fallback && string.IsNullOrWhiteSpace(fallback) ? "The fallback recipient is empty." : null;
    }

    private sealed record MessageRequest(string Channel, string To, string? Subject, string Body);

    private sealed record MessageResponse(string? Id);

    /// <summary>What is stored in <c>commands.result</c>.</summary>
    private sealed record MessageResult(string ProviderId);
}
