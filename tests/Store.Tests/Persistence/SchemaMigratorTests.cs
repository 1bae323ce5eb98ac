using Messaging.Store.Persistence;
using Messaging.Testing;
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
}
