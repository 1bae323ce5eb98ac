using Messaging.Store.Persistence;
using Npgsql;

namespace Messaging.Store.Tests.Persistence;

public sealed class PostgresConnectionDefaultsTests : IAsyncLifetime
{
    private readonly MigratedDatabase _database = new();

    public ValueTask InitializeAsync() => _database.InitializeAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    [Theory]
    [InlineData("Host=127.0.0.1;Username=u", PostgresConnectionDefaults.MaxAutoPrepare)]
    [InlineData("Host=127.0.0.1;Username=u;Max Auto Prepare=0", 0)]
    [InlineData("Host=127.0.0.1;Username=u;maxautoprepare=7", 7)]
    [InlineData("Host=127.0.0.1;Username=u;MAX AUTO PREPARE=12", 12)]
    public void AutoPreparation_IsOnByDefault_AndTheOperatorsValueWins(string connectionString, int expected)
    {
        var builder = PostgresConnectionDefaults.Apply(new NpgsqlDataSourceBuilder(connectionString), connectionString);

        Assert.Equal(expected, builder.ConnectionStringBuilder.MaxAutoPrepare);
    }

    [Fact]
    public async Task ARepeatedStatement_IsPreparedOnTheServer()
    {
        var connectionString = _database.PostgresConnectionString;
        await using var dataSource = PostgresConnectionDefaults.Apply(new NpgsqlDataSourceBuilder(connectionString), connectionString).Build();
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        for (var i = 0; i < 10; i++)
        {
            await using var command = new NpgsqlCommand("SELECT count(*) FROM commands WHERE id = $1", connection);
            command.Parameters.AddWithValue(Guid.NewGuid());
            await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
        }

        await using var prepared = new NpgsqlCommand("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT count(*) FROM commands WHERE id = $1%'", connection);
        Assert.Equal(1L, await prepared.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }
}
