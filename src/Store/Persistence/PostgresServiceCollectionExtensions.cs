using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Messaging.Store.Persistence;

/// <summary>Registers the shared PostgreSQL data source and applies the schema on start.</summary>
public static class PostgresServiceCollectionExtensions
{
    /// <summary>
    /// Adds one <see cref="NpgsqlDataSource"/> built from <c>ConnectionStrings:Postgres</c> (one host, or a primary and
    /// its standbys: <see cref="PostgresDataSources"/>) and a hosted
    /// service that applies the embedded migrations before the host starts serving.
    /// </summary>
    public static IHostApplicationBuilder AddMessagingPostgres(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var connectionString = builder.Configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("ConnectionStrings:Postgres is required.");
        }

        builder.Services.AddPostgresDataSource(connectionString);
        builder.Services.AddSingleton<SchemaMigrator>();
        builder.Services.AddHostedService<SchemaMigrationHostedService>();
        return builder;
    }
}

/// <summary>Applies migrations at start, waiting a bounded time for PostgreSQL to answer.</summary>
internal sealed partial class SchemaMigrationHostedService(SchemaMigrator migrator, TimeProvider timeProvider, ILogger<SchemaMigrationHostedService> logger)
    : IHostedService
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(60);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        while (true)
        {
            try
            {
                await migrator.MigrateAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NpgsqlException ex) when (ex.IsTransient && timeProvider.GetElapsedTime(started) < MaxWait)
            {
                Log.WaitingForPostgres(logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 1001, EventName = "WaitingForPostgres", Level = LogLevel.Warning,
            Message = "PostgreSQL is not answering yet; retrying schema migration ({Reason})")]
        public static partial void WaitingForPostgres(ILogger logger, string reason);
    }
}
