using System.Globalization;
using System.Security.Cryptography;
using Npgsql;

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

    /// <summary>Puts <paramref name="hash"/> in the client's row, as an older gateway would have stored it.</summary>
    public static async Task StoreAsync(string postgresConnectionString, string clientId, string hash)
    {
        await using var connection = new NpgsqlConnection(postgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var update = new NpgsqlCommand("UPDATE clients SET secret_hash = @hash WHERE client_id = @id", connection);
        update.Parameters.AddWithValue("id", clientId);
        update.Parameters.AddWithValue("hash", hash);
        if (await update.ExecuteNonQueryAsync(TestContext.Current.CancellationToken) != 1)
        {
            throw new InvalidOperationException($"No client {clientId}.");
        }
    }
}
