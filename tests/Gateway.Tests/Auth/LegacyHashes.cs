using System.Globalization;
using System.Security.Cryptography;

namespace Messaging.Gateway.Tests.Auth;

/// <summary>
/// Secret hashes as the gateway stored them before peppers (<c>pbkdf2-sha256$&lt;iterations&gt;$&lt;salt&gt;$&lt;hash&gt;</c>),
/// for the tests of their verification and re-hash. The product only reads this scheme.
/// </summary>
internal static class LegacyHashes
{
    public static string Pbkdf2(string secret, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(secret, salt, iterations, HashAlgorithmName.SHA256, 32);
        return string.Join('$', "pbkdf2-sha256", iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }
}
