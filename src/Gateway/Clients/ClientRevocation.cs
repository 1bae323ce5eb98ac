namespace Messaging.Gateway.Clients;

/// <summary>A client whose tokens are cut off: revoked, or with tokens issued before a moment refused.</summary>
internal sealed record ClientRevocation(string ClientId, DateTimeOffset? RevokedAt, DateTimeOffset? TokensValidAfter);
