using System.Collections.Frozen;
using Messaging.Gateway.Clients;

namespace Messaging.Gateway.Auth;

/// <summary>
/// The clients whose tokens this gateway refuses although they are signed and within their lifetime: those revoked
/// or cut off (<c>tokens_valid_after</c>) within the longest token lifetime, as last read from PostgreSQL by
/// <see cref="RevokedClientsRefresher"/>. A failed read leaves the last list in force. Reads are lock-free (one
/// immutable snapshot, replaced as a whole).
/// </summary>
internal sealed class RevokedClients
{
    private volatile Snapshot _snapshot = new(FrozenDictionary<string, ClientRevocation>.Empty, ReadAt: null);

    /// <summary>When the list in force was read, or <see langword="null"/> before the first successful read.</summary>
    public DateTimeOffset? ReadAt => _snapshot.ReadAt;

    /// <summary>How many clients the list in force holds.</summary>
    public int Count => _snapshot.Clients.Count;

    /// <summary>
    /// Whether a token of <paramref name="clientId"/> issued at <paramref name="issuedAtUtc"/> (its <c>iat</c>, whole
    /// seconds) is refused: the client is revoked, or the token was issued before its <c>tokens_valid_after</c> (a token
    /// of the same second is refused too: <c>iat</c> has no fraction to tell).
    /// </summary>
    public bool Refuses(string clientId, DateTime issuedAtUtc) =>
        _snapshot.Clients.TryGetValue(clientId, out var revocation)
        && (revocation.RevokedAt is not null
            || (revocation.TokensValidAfter is { } validAfter && new DateTimeOffset(issuedAtUtc, TimeSpan.Zero) < validAfter));

    /// <summary>Puts a freshly read list in force.</summary>
    public void Replace(IEnumerable<ClientRevocation> revocations, DateTimeOffset readAt) =>
        _snapshot = new Snapshot(revocations.ToFrozenDictionary(r => r.ClientId, StringComparer.Ordinal), readAt);

    private sealed record Snapshot(FrozenDictionary<string, ClientRevocation> Clients, DateTimeOffset? ReadAt);
}
