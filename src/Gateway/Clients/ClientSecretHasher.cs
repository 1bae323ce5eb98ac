using System.Collections.Frozen;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Clients;

/// <summary>
/// Hashes and verifies client secrets with HMAC-SHA256 under a server-side key, a pepper from configuration
/// (<see cref="ClientSecretHashingOptions"/>). A hash is stored as <c>hmac-sha256$&lt;pepper id&gt;$&lt;hash base64&gt;</c>,
/// so every configured pepper verifies the hashes it made and a pepper can be retired once no hash names it.
/// </summary>
/// <remarks>
/// Secrets are 256 random bits (<see cref="ClientCredentials.NewSecret"/>): nobody can guess one, so key stretching
/// adds nothing (NIST SP 800-63B 5.1.1.2 asks for salting and stretching of memorized secrets; a high-entropy
/// secret needs an approved one-way function), and a check costs microseconds instead of the ~50 ms of CPU that made
/// the token endpoint an amplifier. The pepper, kept out of the database, means a stolen <c>clients</c> table alone
/// cannot even confirm a secret. Hashes of the older scheme, <c>pbkdf2-sha256$&lt;iterations&gt;$&lt;salt&gt;$&lt;hash&gt;</c>,
/// still verify (<see cref="IsLegacy"/>); <see cref="NeedsRehash"/> tells the caller to replace them.
/// </remarks>
internal sealed class ClientSecretHasher
{
    /// <summary>The scheme name at the start of every new hash.</summary>
    public const string Scheme = "hmac-sha256";

    /// <summary>The scheme of hashes made before peppers (PBKDF2-HMAC-SHA256): verified, then re-hashed.</summary>
    public const string LegacyScheme = "pbkdf2-sha256";

    /// <summary>The highest iteration count accepted from a stored legacy hash (a bound on the work one check may cost).</summary>
    public const int MaximumLegacyIterations = 10_000_000;

    private const int HashBytes = 32;
    private const char Separator = '$';

    private readonly FrozenDictionary<string, byte[]> _peppers;
    private readonly byte[] _currentPepper;
    private readonly byte[] _dummyHash;

    public ClientSecretHasher(IOptions<ClientSecretHashingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        _peppers = settings.SecretPeppers.ToFrozenDictionary(p => p.Key, p => Convert.FromBase64String(p.Value), StringComparer.OrdinalIgnoreCase);

        // Written as the configuration spells the key, whatever case Auth:CurrentSecretPepper uses.
        CurrentPepperId = string.IsNullOrEmpty(settings.CurrentSecretPepper)
            ? _peppers.Keys.Single()
            : _peppers.Keys.Single(id => string.Equals(id, settings.CurrentSecretPepper, StringComparison.OrdinalIgnoreCase));
        _currentPepper = _peppers[CurrentPepperId];

        // Compared against when there is nothing to verify (unknown or revoked client, malformed hash, retired pepper),
        // so those answers cost what a wrong secret costs. Nobody knows a secret that matches it.
        _dummyHash = RandomNumberGenerator.GetBytes(HashBytes);
    }

    /// <summary>The id of the pepper that hashes new secrets.</summary>
    public string CurrentPepperId { get; }

    /// <summary>Hashes a secret under the current pepper.</summary>
    public string Hash(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return string.Join(Separator, Scheme, CurrentPepperId, Convert.ToBase64String(Mac(_currentPepper, secret)));
    }

    /// <summary>
    /// Checks a presented secret against a stored hash in constant time. With no stored hash (unknown or revoked
    /// client), a malformed one or one whose pepper is not configured, the secret is checked against a dummy, so the
    /// work is the same, and the answer is <see langword="false"/>. A legacy hash costs its PBKDF2 iterations: callers
    /// limit those checks (<see cref="IsLegacy"/>).
    /// </summary>
    public bool Verify(string secret, string? storedHash)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (storedHash is not null)
        {
            if (TryParse(storedHash, out var pepperId, out var expected) && _peppers.TryGetValue(pepperId, out var pepper))
            {
                return CryptographicOperations.FixedTimeEquals(Mac(pepper, secret), expected);
            }

            if (TryParseLegacy(storedHash, out var iterations, out var salt, out var legacyExpected))
            {
                var actual = Rfc2898DeriveBytes.Pbkdf2(secret, salt, iterations, HashAlgorithmName.SHA256, legacyExpected.Length);
                return CryptographicOperations.FixedTimeEquals(actual, legacyExpected);
            }
        }

        _ = CryptographicOperations.FixedTimeEquals(Mac(_currentPepper, secret), _dummyHash);
        return false;
    }

    /// <summary>Whether checking against <paramref name="storedHash"/> means PBKDF2 (a well-formed legacy hash).</summary>
    public static bool IsLegacy(string? storedHash) => storedHash is not null && TryParseLegacy(storedHash, out _, out _, out _);

    /// <summary>
    /// Whether a hash that just verified should be replaced by <see cref="Hash"/>: a legacy hash, or one made under a
    /// pepper other than the current one (so that, once clients have come back, the old pepper names no hash).
    /// </summary>
    public bool NeedsRehash(string storedHash)
    {
        ArgumentNullException.ThrowIfNull(storedHash);
        return !TryParse(storedHash, out var pepperId, out _) || !string.Equals(pepperId, CurrentPepperId, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Reads <c>hmac-sha256$&lt;pepper id&gt;$&lt;hash&gt;</c>; <see langword="false"/> when it is not one.</summary>
    public static bool TryParse(string storedHash, out string pepperId, out byte[] hash)
    {
        ArgumentNullException.ThrowIfNull(storedHash);
        pepperId = "";
        hash = [];
        var parts = storedHash.Split(Separator);
        if (parts.Length != 3
            || !string.Equals(parts[0], Scheme, StringComparison.Ordinal)
            || !ClientSecretHashingOptions.IsValidPepperId(parts[1])
            || !TryFromBase64(parts[2], out hash)
            || hash.Length != HashBytes)
        {
            return false;
        }

        pepperId = parts[1];
        return true;
    }

    /// <summary>Reads <c>pbkdf2-sha256$&lt;iterations&gt;$&lt;salt&gt;$&lt;hash&gt;</c>; <see langword="false"/> when it is not one.</summary>
    public static bool TryParseLegacy(string storedHash, out int iterations, out byte[] salt, out byte[] hash)
    {
        ArgumentNullException.ThrowIfNull(storedHash);
        iterations = 0;
        salt = [];
        hash = [];
        var parts = storedHash.Split(Separator);
        return parts.Length == 4
            && string.Equals(parts[0], LegacyScheme, StringComparison.Ordinal)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations)
            && iterations is >= 1 and <= MaximumLegacyIterations
            && TryFromBase64(parts[2], out salt)
            && TryFromBase64(parts[3], out hash)
            && salt.Length >= 8
            && hash.Length >= 16;
    }

    private static byte[] Mac(byte[] pepper, string secret) => HMACSHA256.HashData(pepper, Encoding.UTF8.GetBytes(secret));

    /// <summary>Decodes base64; <see langword="false"/> instead of an exception when it is not.</summary>
    internal static bool TryFromBase64(string text, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromBase64String(text);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
