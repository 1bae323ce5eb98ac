using Messaging.Resilience.Signing;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Gateway.Auth;

/// <summary>
/// The access-token keys of the current <see cref="AuthOptions"/>, built once per options value instead of once per
/// request: a fresh <see cref="SymmetricSecurityKey"/> per validation copied the key bytes, hashed them for the key's
/// id and missed IdentityModel's cache of signature providers (which is keyed by that id) every time. A reload of
/// <c>Auth:SigningKeys</c> gives a new options value, and so new keys on the next call (rotation without restart).
/// </summary>
internal sealed class SigningKeyRing(IOptionsMonitor<AuthOptions> options)
{
    private Snapshot? _snapshot;

    /// <summary>The keys in configuration order: the first signs, all verify.</summary>
    public IReadOnlyList<SymmetricSecurityKey> Current
    {
        get
        {
            var current = options.CurrentValue;
            var snapshot = Volatile.Read(ref _snapshot);
            if (snapshot is null || !ReferenceEquals(snapshot.Options, current))
            {
                snapshot = new Snapshot(current, Build(current));
                Volatile.Write(ref _snapshot, snapshot);
            }

            return snapshot.Keys;
        }
    }

    /// <summary>The key that signs new tokens.</summary>
    public SymmetricSecurityKey Signing => Current[0];

    /// <summary>Builds the keys of <paramref name="options"/> (no caching): the bytes each base64 key stands for.</summary>
    /// <remarks>Options are validated at start (<see cref="AuthOptionsValidator"/>), so every key decodes.</remarks>
    public static SymmetricSecurityKey[] Build(AuthOptions options) =>
        [.. options.SigningKeys.Select(key => new SymmetricSecurityKey(MessageSigner.Decode(key)
            ?? throw new InvalidOperationException("An Auth:SigningKeys entry is not valid base64.")))];

    private sealed record Snapshot(AuthOptions Options, SymmetricSecurityKey[] Keys);
}
