using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Messaging.Store.Persistence;

/// <summary>
/// Applies the embedded, versioned SQL migrations (<c>Persistence/Migrations/NNNN_name.sql</c>) in order.
/// Each migration runs in its own transaction with its version row and the SHA-256 of its script; a transaction-scoped
/// advisory lock makes instances that start together wait for each other instead of racing. A script applied earlier
/// whose SHA-256 differs from the recorded one stops the migration with a <see cref="SchemaChecksumMismatchException"/>
/// naming it; a version row without a checksum (written before checksums were recorded) gets the script's checksum.
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
                version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), checksum text);
            -- Journals written before checksums were recorded: their rows get one on the next start (NULL until then).
            ALTER TABLE schema_versions ADD COLUMN IF NOT EXISTS checksum text;
            """, connection))
        {
            await ExecuteUnderLockAsync(connection, create, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (version, name, sql) in Migrations)
        {
            var checksum = Checksum(sql);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("key", AdvisoryLockKey);
                await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var (applied, recorded) = await ReadJournalAsync(connection, transaction, version, cancellationToken).ConfigureAwait(false);
            if (applied)
            {
                if (recorded is null)
                {
                    // Applied before this build recorded checksums: the script is taken to be the one applied then.
                    await using var backfill = new NpgsqlCommand(
                        "UPDATE schema_versions SET checksum = @c WHERE version = @v AND checksum IS NULL", connection, transaction);
                    backfill.Parameters.AddWithValue("v", version);
                    backfill.Parameters.AddWithValue("c", checksum);
                    await backfill.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    Log.ChecksumRecorded(logger, version, name);
                    continue;
                }

                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                if (!string.Equals(recorded, checksum, StringComparison.OrdinalIgnoreCase))
                {
                    throw new SchemaChecksumMismatchException(ScriptName(version, name), recorded, checksum);
                }

                continue;
            }

            await using (var apply = new NpgsqlCommand(sql, connection, transaction))
            {
                await apply.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var record = new NpgsqlCommand(
                "INSERT INTO schema_versions (version, name, checksum) VALUES (@v, @n, @c)", connection, transaction))
            {
                record.Parameters.AddWithValue("v", version);
                record.Parameters.AddWithValue("n", name);
                record.Parameters.AddWithValue("c", checksum);
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            Log.MigrationApplied(logger, version, name);
        }
    }

    /// <summary>
    /// The SHA-256 of a script, as lowercase hex, over its UTF-8 text with line endings made <c>\n</c> (a checkout that
    /// turns them into <c>\r\n</c> does not change a script).
    /// </summary>
    internal static string Checksum(string sql) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));

    /// <summary>The script's file name, e.g. <c>0003_outbox_retention.sql</c>.</summary>
    internal static string ScriptName(int version, string name) => $"{version:D4}_{name}.sql";

    private static async Task<(bool Applied, string? Checksum)> ReadJournalAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        int version, CancellationToken cancellationToken)
    {
        await using var check = new NpgsqlCommand("SELECT checksum FROM schema_versions WHERE version = @v", connection, transaction);
        check.Parameters.AddWithValue("v", version);
        await using var reader = await check.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return (false, null);
        }

        return (true, await reader.IsDBNullAsync(0, cancellationToken).ConfigureAwait(false) ? null : reader.GetString(0));
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
            if (separator != 4 || !int.TryParse(fileName[..separator], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
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

        [LoggerMessage(EventId = 1002, EventName = "SchemaMigrationChecksumRecorded", Level = LogLevel.Information,
            Message = "Recorded the checksum of schema migration {Version} ({Name}), applied before checksums were kept")]
        public static partial void ChecksumRecorded(ILogger logger, int version, string name);
    }
}
