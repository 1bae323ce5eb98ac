using Messaging.Resilience.Signing;
using Messaging.Store.Audit;
using Npgsql;

namespace Messaging.Gateway.Clients;

/// <summary>A registered API client, without its secret hash.</summary>
internal sealed record RegisteredClient(string ClientId, string Tenant, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    /// <summary>Whether the client has been revoked (it can no longer obtain tokens).</summary>
    public bool IsRevoked => RevokedAt is not null;
}

/// <summary>A client with its stored secret hash, for authentication only.</summary>
internal sealed record ClientCredential(RegisteredClient Client, string SecretHash);

/// <summary>
/// A newly added client and its secret, which is never stored and never shown again; with its callback signing secret (stored
/// encrypted, shown this once) when callback secret keys are configured, and its default callback URL, if any.
/// </summary>
internal sealed record NewClient(RegisteredClient Client, string Secret, string? CallbackSecret = null, string? CallbackUrl = null);

/// <summary>The API clients in PostgreSQL (table <c>clients</c>), with plain SQL.</summary>
internal sealed class ClientStore(NpgsqlDataSource dataSource, ClientSecretHasher hasher, CallbackSecretProtector callbackSecrets, TimeProvider timeProvider)
{
    /// <summary>The longest accepted tenant name.</summary>
    public const int MaxTenantLength = 64;

    /// <summary>Whether a tenant name is acceptable: 1–64 ASCII letters, digits, '-', '_' or '.', starting with a letter or digit.</summary>
    public static bool IsValidTenant(string? tenant) =>
        !string.IsNullOrEmpty(tenant)
        && tenant.Length <= MaxTenantLength
        && char.IsAsciiLetterOrDigit(tenant[0])
        && tenant.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>
    /// Adds a client with a new id and secret, and its audit record in the same transaction; with a callback signing secret
    /// when callback secret keys are configured (<see cref="CallbackSecretProtector.CanProtect"/>), and the default
    /// <paramref name="callbackUrl"/> (already checked against the tenant's origins), which needs them.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The tenant is invalid, a scope is empty or unknown, the operator tenant and scope are not given together, or a callback
    /// URL is given while no callback secret key is configured.
    /// </exception>
    public async Task<NewClient> AddAsync(string tenant, IReadOnlyCollection<string> scopes, AuditActor actor, CancellationToken cancellationToken,
        string? callbackUrl = null)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!IsValidTenant(tenant))
        {
            throw new ArgumentException($"Tenant '{tenant}' is invalid: use 1-{MaxTenantLength} letters, digits, '-', '_' or '.'.", nameof(tenant));
        }

        ArgumentNullException.ThrowIfNull(scopes);
        var distinctScopes = scopes.Distinct(StringComparer.Ordinal).ToArray();
        if (distinctScopes.Length == 0 || !distinctScopes.All(GatewayClaims.IsKnownScope))
        {
            throw new ArgumentException($"Scopes must be one or more of: {string.Join(", ", GatewayClaims.AllScopes)}.", nameof(scopes));
        }

        if (OperatorMismatch(tenant, distinctScopes) is { } mismatch)
        {
            throw new ArgumentException(mismatch, nameof(scopes));
        }

        if (callbackUrl is not null && !callbackSecrets.CanProtect)
        {
            throw new ArgumentException("A callback URL needs a callback signing secret, and none can be stored: configure "
                + "Callbacks:SecretKeys:<id> (base64 of at least 32 random bytes) and Callbacks:CurrentSecretKey.", nameof(callbackUrl));
        }

        var secret = ClientCredentials.NewSecret();
        var client = new RegisteredClient(ClientCredentials.NewClientId(), tenant, distinctScopes, timeProvider.GetUtcNow(), RevokedAt: null);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand(
            """
            INSERT INTO clients (client_id, tenant, scopes, secret_hash, created_at, callback_url)
            VALUES (@id, @tenant, @scopes, @hash, @created, @callback_url)
            """, connection, transaction))
        {
            command.Parameters.AddWithValue("id", client.ClientId);
            command.Parameters.AddWithValue("tenant", client.Tenant);
            command.Parameters.AddWithValue("scopes", distinctScopes);
            command.Parameters.AddWithValue("hash", hasher.Hash(secret));
            command.Parameters.AddWithValue("created", client.CreatedAt);
            command.Parameters.AddWithValue("callback_url", NpgsqlTypes.NpgsqlDbType.Text, (object?)callbackUrl ?? DBNull.Value);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var callbackSecret = callbackSecrets.CanProtect ? CallbackSecretProtector.NewSecret() : null;
        if (callbackSecret is not null)
        {
            await InsertCallbackSecretAsync(transaction, client.ClientId, callbackSecret, client.CreatedAt, cancellationToken).ConfigureAwait(false);
        }

        var record = new AuditRecord(actor, AuditActions.ClientAdd, client.ClientId, client.Tenant, AuditActions.Succeeded,
            new { Scopes = distinctScopes, CallbackUrl = callbackUrl });
        await AuditTrail.AppendAsync(transaction, record, client.CreatedAt, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new NewClient(client, secret, callbackSecret, callbackUrl);
    }

    /// <summary>
    /// Gives a client that is not revoked a new callback signing secret (returned, shown once, stored encrypted) and lets its
    /// current one sign for <paramref name="grace"/> more (a secret already retiring keeps the earlier of its end and that);
    /// one transaction with its audit record. Returns null for an unknown or revoked client.
    /// </summary>
    /// <exception cref="InvalidOperationException">No callback secret key is configured.</exception>
    public async Task<(string Secret, DateTimeOffset PreviousRetiresAt)?> RotateCallbackSecretAsync(string clientId, TimeSpan grace, AuditActor actor,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentOutOfRangeException.ThrowIfLessThan(grace, TimeSpan.Zero);
        if (!callbackSecrets.CanProtect)
        {
            throw new InvalidOperationException("No callback secret key is configured: set Callbacks:SecretKeys:<id> (base64 of at least 32 random "
                + "bytes) and Callbacks:CurrentSecretKey.");
        }

        var now = timeProvider.GetUtcNow();
        var retiresAt = now + grace;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        string tenant;
        await using (var select = new NpgsqlCommand(
            "SELECT tenant FROM clients WHERE client_id = @id AND revoked_at IS NULL FOR UPDATE", connection, transaction))
        {
            select.Parameters.AddWithValue("id", clientId);
            if (await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not string found)
            {
                return null;
            }

            tenant = found;
        }

        await using (var retire = new NpgsqlCommand(
            """
            UPDATE client_callback_secrets SET retires_at = LEAST(coalesce(retires_at, 'infinity'), @retires_at)
            WHERE client_id = @id AND (retires_at IS NULL OR retires_at > @now)
            """, connection, transaction))
        {
            retire.Parameters.AddWithValue("id", clientId);
            retire.Parameters.AddWithValue("retires_at", retiresAt);
            retire.Parameters.AddWithValue("now", now);
            await retire.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var secret = CallbackSecretProtector.NewSecret();
        await InsertCallbackSecretAsync(transaction, clientId, secret, now, cancellationToken).ConfigureAwait(false);
        var record = new AuditRecord(actor, AuditActions.ClientRotateCallbackSecret, clientId, tenant, AuditActions.Succeeded,
            new { PreviousRetiresAt = retiresAt });
        await AuditTrail.AppendAsync(transaction, record, now, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (secret, retiresAt);
    }

    private async Task InsertCallbackSecretAsync(NpgsqlTransaction transaction, string clientId, string secret, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var stored = callbackSecrets.Protect(secret, clientId);
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO client_callback_secrets (client_id, secret_id, key_id, ciphertext, created_at)
            VALUES (@id, @secret_id, @key_id, @ciphertext, @now)
            """, transaction.Connection, transaction);
        insert.Parameters.AddWithValue("id", clientId);
        insert.Parameters.AddWithValue("secret_id", "cbs_" + Guid.CreateVersion7(now).ToString("N"));
        insert.Parameters.AddWithValue("key_id", stored.KeyId);
        insert.Parameters.AddWithValue("ciphertext", stored.Ciphertext);
        insert.Parameters.AddWithValue("now", now);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Why <paramref name="scopes"/> cannot be granted in <paramref name="tenant"/>, or <see langword="null"/>: scope
    /// <c>operator</c> covers every tenant, so it is granted only in the reserved operator tenant, whose clients hold
    /// nothing else (an operator submits no commands, and no tenant's client becomes an operator by a scope list).
    /// </summary>
    public static string? OperatorMismatch(string tenant, IReadOnlyCollection<string> scopes)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        var isOperatorTenant = string.Equals(tenant, GatewayClaims.OperatorTenant, StringComparison.Ordinal);
        var grantsOperator = scopes.Contains(GatewayClaims.OperatorScope, StringComparer.Ordinal);
        if (grantsOperator && !isOperatorTenant)
        {
            return $"Scope '{GatewayClaims.OperatorScope}' is granted only to operator clients: use 'clients add --operator'.";
        }

        return isOperatorTenant && (!grantsOperator || scopes.Count != 1)
            ? $"Tenant '{GatewayClaims.OperatorTenant}' is reserved for operator clients, which hold scope '{GatewayClaims.OperatorScope}' only: use 'clients add --operator'."
            : null;
    }

    /// <summary>Every client, oldest first, without secret hashes.</summary>
    public async Task<IReadOnlyList<RegisteredClient>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT client_id, tenant, scopes, created_at, revoked_at FROM clients ORDER BY created_at, client_id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var clients = new List<RegisteredClient>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            clients.Add(ReadClient(reader));
        }

        return clients;
    }

    /// <summary>The client and its secret hash, or <see langword="null"/> for an unknown id.</summary>
    public async Task<ClientCredential?> FindAsync(string clientId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        await using var command = dataSource.CreateCommand(
            "SELECT client_id, tenant, scopes, created_at, revoked_at, secret_hash FROM clients WHERE client_id = @id");
        command.Parameters.AddWithValue("id", clientId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new ClientCredential(ReadClient(reader), reader.GetString(5));
    }

    /// <summary>
    /// Replaces a client's secret hash that just verified (<see cref="ClientSecretHasher.NeedsRehash"/>) by a hash under
    /// the current pepper, only if the row still holds <paramref name="verifiedHash"/>: of concurrent uses, one writes
    /// and the others find nothing to do, and a secret changed meanwhile is never overwritten.
    /// </summary>
    /// <returns>Whether this call replaced the hash.</returns>
    public async Task<bool> RehashAsync(string clientId, string secret, string verifiedHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentNullException.ThrowIfNull(verifiedHash);
        await using var command = dataSource.CreateCommand(
            "UPDATE clients SET secret_hash = @hash WHERE client_id = @id AND secret_hash = @old");
        command.Parameters.AddWithValue("id", clientId);
        command.Parameters.AddWithValue("old", verifiedHash);
        command.Parameters.AddWithValue("hash", hasher.Hash(secret));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// Revokes a client: it can obtain no more tokens, and its tokens already issued are refused by every gateway
    /// within a refresh of <c>Auth/RevokedClients</c> (<c>revoked_at</c> and <c>tokens_valid_after</c> are set).
    /// Revoking twice keeps the first revocation time. Audited in the same transaction.
    /// </summary>
    /// <returns>When the client was revoked, or <see langword="null"/> for an unknown id.</returns>
    public async Task<DateTimeOffset?> RevokeAsync(string clientId, AuditActor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentNullException.ThrowIfNull(actor);
        var now = timeProvider.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset revokedAt;
        string tenant;
        await using (var command = new NpgsqlCommand(
            "UPDATE clients SET revoked_at = COALESCE(revoked_at, @now), tokens_valid_after = GREATEST(tokens_valid_after, COALESCE(revoked_at, @now)) "
            + "WHERE client_id = @id RETURNING revoked_at, tenant", connection, transaction))
        {
            command.Parameters.AddWithValue("id", clientId);
            command.Parameters.AddWithValue("now", now);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            (revokedAt, tenant) = (reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1));
        }

        var record = new AuditRecord(actor, AuditActions.ClientRevoke, clientId, tenant, AuditActions.Succeeded, new { RevokedAt = revokedAt });
        await AuditTrail.AppendAsync(transaction, record, now, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return revokedAt;
    }

    /// <summary>
    /// The clients revoked, or with a <c>tokens_valid_after</c>, at or after <paramref name="since"/>: those whose
    /// tokens may still be within their lifetime and must be refused (<c>Auth/RevokedClients</c>).
    /// </summary>
    public async Task<IReadOnlyList<ClientRevocation>> ListRevocationsAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT client_id, revoked_at, tokens_valid_after FROM clients WHERE revoked_at >= @since OR tokens_valid_after >= @since");
        command.Parameters.AddWithValue("since", since);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var revocations = new List<ClientRevocation>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            revocations.Add(new ClientRevocation(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return revocations;
    }

    private static RegisteredClient ReadClient(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetFieldValue<string[]>(2),
        reader.GetFieldValue<DateTimeOffset>(3),
        reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4));
}
