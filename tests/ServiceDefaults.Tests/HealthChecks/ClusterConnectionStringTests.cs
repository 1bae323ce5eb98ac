using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Messaging.ServiceDefaults.Tests.HealthChecks;

/// <summary>The health checks' own clients, for hosts that check a dependency without using it, accept cluster connection strings.</summary>
public sealed class ClusterConnectionStringTests
{
    private static IHost Build(string name, string connectionString, Action<HostApplicationBuilder> add)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [$"ConnectionStrings:{name}"] = connectionString });
        add(builder);
        return builder.Build();
    }

    [Theory]
    [InlineData("", "primary")]
    [InlineData(";Target Session Attributes=prefer-primary", "prefer-primary")]
    public void PostgresCheck_WithAHostList_AsksThroughAMultiHostDataSource_ForThePrimaryUnlessTold(string attribute, string expected)
    {
        using var host = Build("Postgres", "Host=pg-a:5442,pg-b:5443;Username=u;Password=p" + attribute, b => b.AddPostgresHealthCheck());

        var dataSource = Assert.IsType<NpgsqlMultiHostDataSource>(host.Services.GetRequiredService<NpgsqlDataSource>());

        Assert.Equal(expected, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).TargetSessionAttributes);
    }
}
