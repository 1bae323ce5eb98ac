namespace Messaging.WolverinePeer;

/// <summary>The message between the peer's two halves: the accepted request and the id it was accepted under.</summary>
public sealed record SendNotification(Guid Id, string Channel, string To, string? Subject, string Body);
