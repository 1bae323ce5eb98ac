using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Messaging.Store.Persistence;

/// <summary>
/// Builds the process's <see cref="NpgsqlDataSource"/> from <c>ConnectionStrings:Postgres</c>, with one host or several
/// (<c>Host=pg-a:5432,pg-b:5432;Target Session Attributes=primary</c>: a primary and its standbys).
/// </summary>
/// <remarks>
/// From a host list Npgsql 10 builds a multi-host data source that honours <c>Target Session Attributes</c> from the
/// connection string (Npgsql 8 and 9 refused the attribute there; checked against 10.0.3 by
/// <c>PostgresDataSourcesTests</c>). It remembers which host is the primary and checks a host again once it failed
/// (after <c>Host Recheck Seconds</c>, 10 s by default), so after a promotion new connections go to the new primary
/// without a restart. Every connection of these processes writes, so a host list without the attribute gets
/// <c>primary</c> here rather than Npgsql's <c>any</c>, which could hand out a read-only standby.
/// </remarks>
public static class PostgresDataSources
{
    /// <summary>Registers the <see cref="NpgsqlDataSource"/> for <paramref name="connectionString"/>, logging through the host's loggers.</summary>
    public static IServiceCollection AddPostgresDataSource(this IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        var effective = WithPrimaryByDefault(connectionString);
        return services.AddSingleton(sp =>
        {
            var builder = new NpgsqlDataSourceBuilder(effective);
            builder.UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
            return builder.Build();
        });
    }

    /// <summary>
    /// <paramref name="connectionString"/> as the data source uses it: with several hosts and no <c>Target Session Attributes</c>,
    /// <c>Target Session Attributes=primary</c>; otherwise unchanged.
    /// </summary>
    public static string WithPrimaryByDefault(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        if (settings.Host?.Contains(',', StringComparison.Ordinal) != true || !string.IsNullOrWhiteSpace(settings.TargetSessionAttributes))
        {
            return connectionString;
        }

        settings.TargetSessionAttributes = "primary";
        return settings.ConnectionString;
    }
}
