using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Messaging.Store.Audit;

/// <summary>
/// The audit trail in PostgreSQL (table <c>audit</c>): operators' and tenant admins' actions, written in the same
/// transaction as the action where the action has one, and read newest first by tenant.
/// </summary>
public sealed class AuditTrail(NpgsqlDataSource dataSource, TimeProvider timeProvider)
{
    /// <summary>The most records one read returns.</summary>
    public const int MaxPage = 500;

    private const string Insert =
        "INSERT INTO audit (at, actor_client, actor_tenant, action, target, tenant, outcome, detail) "
        + "VALUES (@at, @actor_client, @actor_tenant, @action, @target, @tenant, @outcome, @detail)";

    /// <summary>Writes <paramref name="record"/> within the caller's transaction: it is kept exactly when the action is.</summary>
    public static async Task AppendAsync(NpgsqlTransaction transaction, AuditRecord record, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        await using var command = new NpgsqlCommand(Insert, transaction.Connection, transaction);
        Bind(command.Parameters, record, at);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="record"/> on its own, for actions outside PostgreSQL (breakers live in Redis).</summary>
    public async Task AppendAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Insert);
        Bind(command.Parameters, record, timeProvider.GetUtcNow());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> records, newest first, older than <paramref name="before"/> when given: every
    /// tenant's and the fleet's when <paramref name="tenant"/> is <see langword="null"/>, otherwise that tenant's only.
    /// </summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(string? tenant, long? before, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT id, at, actor_client, actor_tenant, action, target, tenant, outcome, detail::text FROM audit
            WHERE {(tenant is null ? "true" : "tenant = @tenant")} AND (@before::bigint IS NULL OR id < @before)
            ORDER BY id DESC LIMIT @limit
            """);
        if (tenant is not null)
        {
            command.Parameters.AddWithValue("tenant", tenant);
        }

        command.Parameters.Add(new NpgsqlParameter<long?>("before", NpgsqlDbType.Bigint) { TypedValue = before });
        command.Parameters.AddWithValue("limit", Math.Clamp(limit, 1, MaxPage));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<AuditEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            JsonElement? detail = null;
            if (!reader.IsDBNull(8))
            {
                using var document = JsonDocument.Parse(reader.GetString(8));
                detail = document.RootElement.Clone();
            }

            entries.Add(new AuditEntry(
                reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetString(7), detail));
        }

        return entries;
    }

    private static void Bind(NpgsqlParameterCollection parameters, AuditRecord record, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(record);
        parameters.AddWithValue("at", at);
        parameters.AddWithValue("actor_client", record.Actor.ClientId);
        parameters.AddWithValue("actor_tenant", (object?)record.Actor.Tenant ?? DBNull.Value);
        parameters.AddWithValue("action", record.Action);
        parameters.AddWithValue("target", record.Target);
        parameters.AddWithValue("tenant", (object?)record.Tenant ?? DBNull.Value);
        parameters.AddWithValue("outcome", record.Outcome);
        parameters.AddWithValue("detail", NpgsqlDbType.Jsonb,
            record.Detail is null ? DBNull.Value : JsonSerializer.Serialize(record.Detail, record.Detail.GetType(), JsonSerializerOptions.Web));
    }
}
