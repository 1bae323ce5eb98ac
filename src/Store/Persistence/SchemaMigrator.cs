using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Messaging.Store.Persistence;

/// <summary>
/// Applies the embedded, versioned SQL migrations (<c>Persistence/Migrations/NNNN_name.sql</c>) in order.
/// Each migration runs in its own transaction with its version row; a transaction-scoped advisory lock
/// makes instances that start together wait for each other instead of racing.
/// </summary>
public sealed partial class SchemaMigrator(NpgsqlDataSource dataSource, ILogger<SchemaMigrator> logger)
{
    // Arbitrary but fixed: every instance of every host must use the same key.
    private const long AdvisoryLockKey = 0x4D53_4731; // "MSG1"

    /// <summary>The migrations shipped in this assembly, ordered by version.</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Migrations { get; } = LoadMigrations();

    /// <summary>Applies every migration not applied yet. Safe to call from several processes at once.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var create = new NpgsqlCommand(
            """
            CREATE TABLE IF NOT EXISTS schema_versions (
                version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """, connection))
        {
            await ExecuteUnderLockAsync(connection, create, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (version, name, sql) in Migrations)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("key", AdvisoryLockKey);
                await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var check = new NpgsqlCommand("SELECT 1 FROM schema_versions WHERE version = @v", connection, transaction))
            {
                check.Parameters.AddWithValue("v", version);
                if (await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
                {
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
            }

            await using (var apply = new NpgsqlCommand(sql, connection, transaction))
            {
                await apply.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var record = new NpgsqlCommand("INSERT INTO schema_versions (version, name) VALUES (@v, @n)", connection, transaction))
            {
                record.Parameters.AddWithValue("v", version);
                record.Parameters.AddWithValue("n", name);
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            Log.MigrationApplied(logger, version, name);
        }
    }

    private static async Task ExecuteUnderLockAsync(NpgsqlConnection connection, NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("key", AdvisoryLockKey);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        command.Transaction = transaction;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static List<(int, string, string)> LoadMigrations()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        const string prefix = "Messaging.Store.Persistence.Migrations.";
        var migrations = new List<(int, string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var fileName = resource[prefix.Length..^".sql".Length];
            var separator = fileName.IndexOf('_', StringComparison.Ordinal);
            if (separator <= 0 || !int.TryParse(fileName[..separator], out var version))
            {
                throw new InvalidOperationException($"Migration '{fileName}' must be named NNNN_description.sql.");
            }

            migrations.Add((version, fileName[(separator + 1)..], ReadResource(assembly, resource)));
        }

        migrations.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return migrations;
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded migration '{name}' is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1000, EventName = "SchemaMigrationApplied", Level = LogLevel.Information,
            Message = "Applied schema migration {Version} ({Name})")]
        public static partial void MigrationApplied(ILogger logger, int version, string name);
    }
}
