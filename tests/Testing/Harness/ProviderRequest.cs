namespace Messaging.Testing.Harness;

/// <summary>One provider request as FakeServices logged it.</summary>
public sealed record ProviderRequest(string Instance, string? IdempotencyKey, int Status, DateTimeOffset ReceivedAt);
