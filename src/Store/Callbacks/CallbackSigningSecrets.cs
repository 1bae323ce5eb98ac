using Messaging.Resilience.Signing;
using Npgsql;

namespace Messaging.Store.Callbacks;

/// <summary>
/// Reads a client's callback signing secrets (<c>client_callback_secrets</c>, written by the gateway's <c>clients</c>
/// commands) and decrypts them with <see cref="CallbackSecretProtector"/>: what the workers sign each completion event with.
/// </summary>
public sealed class CallbackSigningSecrets(NpgsqlDataSource dataSource, CallbackSecretProtector protector)
{
    /// <summary>
    /// The secrets of <paramref name="clientId"/> that sign at <paramref name="at"/>: the current one first, then those still in
    /// their grace period after a rotation, newest first. Empty for a client without one (added before callbacks existed, or
    /// while no <c>Callbacks:CurrentSecretKey</c> was configured).
    /// </summary>
    public async Task<IReadOnlyList<string>> ForClientAsync(string clientId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        await using var command = dataSource.CreateCommand(
            """
            SELECT key_id, ciphertext FROM client_callback_secrets
            WHERE client_id = @id AND (retires_at IS NULL OR retires_at > @at)
            ORDER BY retires_at DESC NULLS FIRST, created_at DESC
            """);
        command.Parameters.AddWithValue("id", clientId);
        command.Parameters.AddWithValue("at", at);
        var secrets = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            secrets.Add(protector.Unprotect(new ProtectedCallbackSecret(reader.GetString(0), reader.GetFieldValue<byte[]>(1)), clientId));
        }

        return secrets;
    }
}
