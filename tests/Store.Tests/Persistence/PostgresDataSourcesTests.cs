using Messaging.Store.Persistence;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Messaging.Store.Tests.Persistence;

public sealed class PostgresDataSourcesTests : IAsyncLifetime
{
    private const string TwoHosts = "Host=pg-a:5442,pg-b:5443;Username=messaging;Password=secret;Database=messaging";

    private readonly ServicesFixture _services = new();

    public ValueTask InitializeAsync() => _services.InitializeAsync();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task AHostList_IsAMultiHostDataSource_AskingForThePrimary()
    {
        await using var provider = new ServiceCollection().AddLogging()
            .AddPostgresDataSource(TwoHosts + ";Target Session Attributes=primary").BuildServiceProvider();

        var dataSource = Assert.IsType<NpgsqlMultiHostDataSource>(provider.GetRequiredService<NpgsqlDataSource>());

        Assert.Equal("pg-a:5442,pg-b:5443", new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).Host);
        Assert.Equal("primary", new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).TargetSessionAttributes);
    }

    [Fact]
    public async Task OneHost_IsAPlainDataSource()
    {
        await using var provider = new ServiceCollection().AddLogging()
            .AddPostgresDataSource("Host=pg-a;Username=messaging;Password=secret").BuildServiceProvider();

        Assert.IsNotType<NpgsqlMultiHostDataSource>(provider.GetRequiredService<NpgsqlDataSource>(), exactMatch: false);
    }

    [Theory]
    [InlineData(TwoHosts, "primary")]
    [InlineData(TwoHosts + ";Target Session Attributes=prefer-standby", "prefer-standby")]
    [InlineData("Host=pg-a:5442;Username=messaging", null)]
    public void WithPrimaryByDefault_GivesAHostListWithoutTheAttributePrimary_AndLeavesTheRestAlone(string connectionString, string? expected)
    {
        var effective = new NpgsqlConnectionStringBuilder(PostgresDataSources.WithPrimaryByDefault(connectionString));

        Assert.Equal(expected, effective.TargetSessionAttributes);
    }

    [Theory]
    [InlineData("primary", true)]
    [InlineData("standby", false)]
    public async Task Npgsql_HonoursTargetSessionAttributes_FromAHostListsConnectionString(string targetSession, bool connects)
    {
        // Pins what PostgresDataSources relies on (Npgsql 8 and 9 refused the attribute in a data source's connection string).
        // The machine's server is a primary: asked for a standby, no host is suitable.
        await using var dataSource = new NpgsqlDataSourceBuilder(HostList(targetSession)).Build();

        var open = async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        };

        if (connects)
        {
            await open();
        }
        else
        {
            var error = await Assert.ThrowsAsync<NpgsqlException>(open);
            Assert.Contains("suitable host", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AHostListWhoseFirstHostRefuses_ConnectsToThePrimaryBehindIt()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = HostList("primary") });
        builder.AddMessagingPostgres();
        using var host = builder.Build();
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();

        await using var command = dataSource.CreateCommand("SELECT NOT pg_is_in_recovery(), inet_server_port()");
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);

        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.True(reader.GetBoolean(0));
        Assert.Equal(new NpgsqlConnectionStringBuilder(_services.PostgresConnectionString).Port, reader.GetInt32(1));
    }

    /// <summary>The test database behind a closed port: <c>Host=127.0.0.1:1,&lt;server&gt;</c>.</summary>
    private string HostList(string targetSession)
    {
        var real = new NpgsqlConnectionStringBuilder(_services.PostgresConnectionString);
        return new NpgsqlConnectionStringBuilder(_services.PostgresConnectionString)
        {
            Host = $"127.0.0.1:1,{real.Host}:{real.Port}",
            TargetSessionAttributes = targetSession,
            Timeout = 3,
        }.ConnectionString;
    }
}
