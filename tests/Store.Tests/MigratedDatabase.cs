using Messaging.Store.Persistence;
using Messaging.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Messaging.Store.Tests;

/// <summary>The fixture's fresh database with the product's schema applied, and a data source on it.</summary>
public sealed class MigratedDatabase : ServicesFixture
{
    private NpgsqlDataSource? _dataSource;

    /// <summary>The data source on the migrated database.</summary>
    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("The database has not been initialized.");

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _dataSource = NpgsqlDataSource.Create(PostgresConnectionString);
        await new SchemaMigrator(_dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(TestContext.Current.CancellationToken);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
