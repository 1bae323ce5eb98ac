namespace Messaging.WolverinePeer;

/// <summary>The body of <c>POST /api/commands/notifications.send</c>, as the gateway takes it.</summary>
public sealed record NotificationRequest(string Channel, string To, string? Subject, string Body);
