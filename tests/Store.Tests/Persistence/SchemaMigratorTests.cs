using System.Security.Cryptography;
using System.Text;
using Messaging.Store.Persistence;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Messaging.Store.Tests.Persistence;

public sealed class SchemaMigratorTests : IAsyncLifetime
{
    private readonly ServicesFixture _services = new();

    public ValueTask InitializeAsync() => _services.InitializeAsync();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public void Migrations_AreOrderedAndUniquelyVersioned()
    {
        var versions = SchemaMigrator.Migrations.Select(m => m.Version).ToList();
        Assert.NotEmpty(versions);
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(versions.Count, versions.Distinct().Count());
    }

    [Fact]
    public async Task FourInstancesMigratingAtOnce_ApplyEachMigrationOnce()
    {
        await using var dataSource = NpgsqlDataSource.Create(_services.PostgresConnectionString);
        var migrators = Enumerable.Range(0, 4).Select(_ => new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance));

        await Task.WhenAll(migrators.Select(m => m.MigrateAsync(TestContext.Current.CancellationToken)));

        await using var command = dataSource.CreateCommand("SELECT count(*), count(DISTINCT version) FROM schema_versions");
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal(SchemaMigrator.Migrations.Count, reader.GetInt64(0));
        Assert.Equal(reader.GetInt64(0), reader.GetInt64(1));
    }

    [Fact]
    public async Task Migrating_AnUpToDateDatabase_ChangesNothing()
    {
        await using var dataSource = NpgsqlDataSource.Create(_services.PostgresConnectionString);
        var migrator = new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance);
        await migrator.MigrateAsync(TestContext.Current.CancellationToken);
        await using (var insert = dataSource.CreateCommand(
            "INSERT INTO clients (client_id, tenant, scopes, secret_hash, created_at) VALUES ('c1', 't', '{commands}', 'x', now())"))
        {
            await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await migrator.MigrateAsync(TestContext.Current.CancellationToken);

        await using var count = dataSource.CreateCommand("SELECT count(*) FROM clients");
        Assert.Equal(1L, await count.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Migrating_RecordsTheSha256OfEachAppliedScript()
    {
        await using var dataSource = NpgsqlDataSource.Create(_services.PostgresConnectionString);

        await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(Ct);

        Assert.Equal(SchemaMigrator.Migrations.Select(m => (m.Version, (string?)Sha256Hex(m.Sql))), await ChecksumsAsync(dataSource));
    }

    [Fact]
    public async Task Migrating_WhenAnAppliedScriptChanged_StopsNamingTheScript_AndAppliesNothingAfterIt()
    {
        await using var dataSource = NpgsqlDataSource.Create(_services.PostgresConnectionString);
        var migrator = new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance);
        await migrator.MigrateAsync(Ct);
        // The journal says version 3 was applied from another text than this build's 0003_*.sql, and the last
        // migration is not applied yet: the check must stop the run before it.
        var lastVersion = SchemaMigrator.Migrations[^1].Version;
        var recorded = string.Concat(Enumerable.Repeat("ab", 32));
        await ExecuteAsync(dataSource,
            $"UPDATE schema_versions SET checksum = '{recorded}' WHERE version = 3; DELETE FROM schema_versions WHERE version = {lastVersion}");

        var error = await Assert.ThrowsAsync<SchemaChecksumMismatchException>(() => migrator.MigrateAsync(Ct));

        var script = SchemaMigrator.ScriptName(3, SchemaMigrator.Migrations.Single(m => m.Version == 3).Name);
        Assert.Matches(@"^0003_[a-z_]+\.sql$", script);
        Assert.Equal(script, error.Script);
        Assert.Contains(script, error.Message, StringComparison.Ordinal);
        Assert.Contains("changed after it was applied", error.Message, StringComparison.Ordinal);
        Assert.Equal(recorded, error.RecordedChecksum);
        Assert.Equal(Sha256Hex(SchemaMigrator.Migrations.Single(m => m.Version == 3).Sql), error.Checksum);
        Assert.DoesNotContain(lastVersion, (await ChecksumsAsync(dataSource)).Select(r => r.Version));
    }

    [Fact]
    public async Task AHost_WhoseAppliedScriptChanged_StopsAtStart_WithTheScriptInTheMessage()
    {
        await using (var dataSource = NpgsqlDataSource.Create(_services.PostgresConnectionString))
        {
            await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(Ct);
            await ExecuteAsync(dataSource, "UPDATE schema_versions SET checksum = repeat('0', 64) WHERE version = 1");
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new("ConnectionStrings:Postgres", _services.PostgresConnectionString)]);
        builder.Services.AddSingleton(TimeProvider.System); // the hosts' ServiceDefaults register it
        builder.AddMessagingPostgres();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<SchemaChecksumMismatchException>(() => host.StartAsync(Ct));

        Assert.Contains(SchemaMigrator.ScriptName(1, SchemaMigrator.Migrations[0].Name), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AJournalWithoutChecksums_FromAnEarlierBuild_GetsThemOnTheNextStart_WithoutReapplyingAnything()
    {
        await using var dataSource = NpgsqlDataSource.Create(_services.PostgresConnectionString);
        var migrator = new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance);
        await migrator.MigrateAsync(Ct);
        // The journal as the builds before checksums left it: no checksum column at all.
        await ExecuteAsync(dataSource, """
            ALTER TABLE schema_versions DROP COLUMN checksum;
            INSERT INTO clients (client_id, tenant, scopes, secret_hash, created_at) VALUES ('c1', 't', '{commands}', 'x', now());
            """);

        await migrator.MigrateAsync(Ct);

        Assert.Equal(SchemaMigrator.Migrations.Select(m => (m.Version, (string?)Sha256Hex(m.Sql))), await ChecksumsAsync(dataSource));
        await using var count = dataSource.CreateCommand("SELECT count(*) FROM clients");
        Assert.Equal(1L, await count.ExecuteScalarAsync(Ct));
        await migrator.MigrateAsync(Ct); // the next start finds them equal
    }

    [Fact]
    public void Checksum_IgnoresTheScriptsLineEndings()
    {
        Assert.Equal(SchemaMigrator.Checksum("SELECT 1;\nSELECT 2;\n"), SchemaMigrator.Checksum("SELECT 1;\r\nSELECT 2;\r\n"));
        Assert.NotEqual(SchemaMigrator.Checksum("SELECT 1;\n"), SchemaMigrator.Checksum("SELECT 2;\n"));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Independent of the migrator's helper: SHA-256 of the UTF-8 text with \n line endings, as lowercase hex.
    private static string Sha256Hex(string sql) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.Replace("\r\n", "\n", StringComparison.Ordinal))));

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<List<(int Version, string? Checksum)>> ChecksumsAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT version, checksum FROM schema_versions ORDER BY version");
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<(int, string?)>();
        while (await reader.ReadAsync(Ct))
        {
            rows.Add((reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        }

        return rows;
    }
}
