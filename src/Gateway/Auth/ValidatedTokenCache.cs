using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Gateway.Auth;

/// <summary>
/// The bearer token handler: IdentityModel's <see cref="JsonWebTokenHandler"/>, remembering the tokens it has fully
/// validated so that a client reusing its token (the normal case: one token for up to <c>Auth:TokenLifetime</c>)
/// is not parsed, verified and turned into claims again on every request. Nothing is checked less:
/// <list type="bullet">
/// <item>an entry is keyed by the exact token string (ordinal), so its signature, issuer, audience and algorithm were
/// verified by the full validation for exactly these bytes; any other string, a tampered one included, takes the full
/// validation;</item>
/// <item>the lifetime is checked again on every hit, with the same clock and skew as the full validation;</item>
/// <item>an entry belongs to the signing keys it was verified with: when <c>Auth:SigningKeys</c> changes, no entry
/// made under the old keys is used (a key removed from the list stops its tokens at once);</item>
/// <item>only successful validations are remembered; failures are never cached and always fail closed.</item>
/// </list>
/// At most <see cref="MaxEntries"/> tokens are kept (expired ones are dropped first); beyond that, tokens are simply
/// validated in full. Each hit gets its own copy of the claims identity.
/// </summary>
internal sealed class ValidatedTokenCache(SigningKeyRing keys, TimeProvider timeProvider, Func<TimeSpan> clockSkew) : JsonWebTokenHandler
{
    /// <summary>The most tokens remembered at once.</summary>
    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Tokens remembered now (for tests).</summary>
    internal int Count => _entries.Count;

    /// <summary>
    /// A remembered token's own copy of its claims, when <paramref name="token"/> (the exact characters) was fully
    /// validated under the current keys and is within its lifetime now; otherwise <see langword="false"/> and the caller
    /// takes the full validation (<see cref="ValidateTokenAsync(string, TokenValidationParameters)"/>), which also drops a
    /// stale entry. The same checks as a hit there, without the result object and its task.
    /// </summary>
    public bool TryGetValidated(ReadOnlySpan<char> token, [NotNullWhen(true)] out ClaimsIdentity? identity)
    {
        // Looked up by the characters (the ordinal comparer supports it): no string is made for a hit.
        if (_entries.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(token, out var entry) && IsUsable(entry, keys.Current))
        {
            identity = entry.Identity.Clone();
            return true;
        }

        identity = null;
        return false;
    }

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var keySet = keys.Current;
        if (token is not null && _entries.TryGetValue(token, out var entry))
        {
            if (IsUsable(entry, keySet))
            {
                return new TokenValidationResult
                {
                    IsValid = true,
                    SecurityToken = entry.Token,
                    ClaimsIdentity = entry.Identity.Clone(),
                    Issuer = entry.Token.Issuer,
                    TokenType = entry.TokenType,
                };
            }

            _entries.TryRemove(KeyValuePair.Create(token, entry));
        }

        var result = await base.ValidateTokenAsync(token!, validationParameters).ConfigureAwait(false);
        if (result.IsValid && result.SecurityToken is JsonWebToken validated && result.ClaimsIdentity is { } identity && HasRoom())
        {
            // Validated under keySet (read before the validation): a key change meanwhile only makes the entry unusable.
            _entries[token!] = new Entry(keySet, validated, identity.Clone(), result.TokenType);
        }

        return result;
    }

    private bool IsUsable(Entry entry, IReadOnlyList<SymmetricSecurityKey> keySet) =>
        ReferenceEquals(entry.Keys, keySet) && IsWithinLifetime(entry.Token.ValidFrom, entry.Token.ValidTo);

    /// <summary>The same rule as the full validation's lifetime validator (<see cref="BearerTokenValidator.IsWithinLifetime"/>).</summary>
    internal bool IsWithinLifetime(DateTime notBefore, DateTime expires) =>
        BearerTokenValidator.IsWithinLifetime(
            notBefore == DateTime.MinValue ? null : notBefore,
            expires == DateTime.MinValue ? null : expires,
            timeProvider,
            clockSkew());

    private bool HasRoom()
    {
        if (_entries.Count < MaxEntries)
        {
            return true;
        }

        foreach (var (token, entry) in _entries)
        {
            if (!IsWithinLifetime(entry.Token.ValidFrom, entry.Token.ValidTo))
            {
                _entries.TryRemove(KeyValuePair.Create(token, entry));
            }
        }

        return _entries.Count < MaxEntries;
    }

    private sealed record Entry(IReadOnlyList<SymmetricSecurityKey> Keys, JsonWebToken Token, ClaimsIdentity Identity, string? TokenType);
}
