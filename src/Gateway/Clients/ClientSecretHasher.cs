using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Clients;

/// <summary>
/// Hashes and verifies client secrets with PBKDF2-HMAC-SHA256 and a 16-byte random salt. A hash is stored
/// self-describing as <c>pbkdf2-sha256$&lt;iterations&gt;$&lt;salt base64&gt;$&lt;hash base64&gt;</c>, so the iteration
/// count can be raised later without invalidating existing secrets.
/// </summary>
internal sealed class ClientSecretHasher
{
    /// <summary>The scheme name at the start of every stored hash.</summary>
    public const string Scheme = "pbkdf2-sha256";

    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private const char Separator = '$';

    private readonly Lazy<string> _dummyHash;

    public ClientSecretHasher(IOptions<ClientSecretHashingOptions> options)
    {
        Iterations = options.Value.SecretHashIterations;

        // Verified instead of a real hash when the client is unknown or revoked, so that answering
        // "no such client" costs as much as answering "wrong secret". Nobody knows its secret.
        _dummyHash = new Lazy<string>(() => Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(HashBytes))));
    }

    /// <summary>The iteration count used for new hashes.</summary>
    public int Iterations { get; }

    /// <summary>Hashes a secret with a fresh random salt.</summary>
    public string Hash(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(secret, salt, Iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Join(Separator, Scheme, Iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    /// <summary>
    /// Checks a presented secret against a stored hash in constant time. With no stored hash (unknown or
    /// revoked client) the secret is checked against a dummy hash, so the time taken is about the same, and
    /// the answer is <see langword="false"/>. A malformed stored hash never verifies.
    /// </summary>
    public bool Verify(string secret, string? storedHash)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (storedHash is not null && TryParse(storedHash, out var iterations, out var salt, out var expected))
        {
            var actual = Rfc2898DeriveBytes.Pbkdf2(secret, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
            return CryptographicOperations.FixedTimeEquals(actual, expected);
        }

        _ = TryParse(_dummyHash.Value, out var dummyIterations, out var dummySalt, out var dummyExpected);
        var dummy = Rfc2898DeriveBytes.Pbkdf2(secret, dummySalt, dummyIterations, HashAlgorithmName.SHA256, dummyExpected.Length);
        _ = CryptographicOperations.FixedTimeEquals(dummy, dummyExpected);
        return false;
    }

    /// <summary>Reads the parts of a stored hash; <see langword="false"/> when it is not one of ours.</summary>
    public static bool TryParse(string storedHash, out int iterations, out byte[] salt, out byte[] hash)
    {
        ArgumentNullException.ThrowIfNull(storedHash);
        iterations = 0;
        salt = [];
        hash = [];
        var parts = storedHash.Split(Separator);
        if (parts.Length != 4
            || !string.Equals(parts[0], Scheme, StringComparison.Ordinal)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations)
            || iterations is < 1 or > ClientSecretHashingOptions.MaximumIterations)
        {
            return false;
        }

        try
        {
            salt = Convert.FromBase64String(parts[2]);
            hash = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }

        return salt.Length >= 8 && hash.Length >= 16;
    }
}
