using Wolverine.Http;

namespace Messaging.WolverinePeer;

/// <summary>
/// <c>POST /api/commands/notifications.send</c>: the request becomes a cascading message, which Wolverine stores in
/// its PostgreSQL outbox (the durable sending endpoint, no application transaction) before the 202 is written.
/// </summary>
public static class NotificationEndpoint
{
    [WolverinePost("/api/commands/notifications.send")]
    public static (AcceptResponse, SendNotification) Post(NotificationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var id = Guid.CreateVersion7();
        return (new AcceptResponse($"/api/commands/{id}"), new SendNotification(id, request.Channel, request.To, request.Subject, request.Body));
    }
}
