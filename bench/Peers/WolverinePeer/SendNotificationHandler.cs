namespace Messaging.WolverinePeer;

/// <summary>
/// Calls the notifications provider as the gateway's <c>notifications.send</c> handler does: <c>POST v1/messages</c>
/// with the API key as bearer token and the message id as idempotency key. A 2xx completes the message; any other
/// answer throws, so Wolverine's error policy decides (retry, then its dead-letter storage).
/// </summary>
public static class SendNotificationHandler
{
    public const string ClientName = "notifications";

    public static async Task Handle(SendNotification message, IHttpClientFactory clients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(clients);
        using var client = clients.CreateClient(ClientName);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = JsonContent.Create(new { channel = message.Channel, to = message.To, subject = message.Subject, body = message.Body }),
        };
        request.Headers.Add("Idempotency-Key", message.Id.ToString());
        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }
}
