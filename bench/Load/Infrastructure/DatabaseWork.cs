using System.Globalization;
using Npgsql;

namespace Messaging.Load.Infrastructure;

/// <summary>
/// PostgreSQL's own counters of a database (<c>pg_stat_database</c>): commits and rows written. The difference over a
/// run, divided by the commands it completed, is what each command cost the database, whoever wrote it (the load
/// tool's once-a-second samples are a few commits more). Counters reach the view within about a second of each
/// transaction, so the second snapshot waits that long.
/// </summary>
internal sealed record DatabaseWork(long Commits, long Inserted, long Updated, long Deleted)
{
    public static async Task<DatabaseWork> ReadAsync(NpgsqlDataSource dataSource, bool settle = false)
    {
        if (settle)
        {
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }

        await using var command = dataSource.CreateCommand(
            "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database WHERE datname = current_database()");
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        await reader.ReadAsync().ConfigureAwait(false);
        return new DatabaseWork(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    /// <summary>"per completed command: 3.1 commits, 2.0 rows inserted, …" over <paramref name="commands"/> commands.</summary>
    public static string DescribePer(DatabaseWork before, DatabaseWork after, long commands)
    {
        if (commands <= 0)
        {
            return "no command completed";
        }

        double Per(long value) => (double)value / commands;
        return string.Create(CultureInfo.InvariantCulture,
            $"PostgreSQL per completed command ({commands}): {Per(after.Commits - before.Commits):0.00} commits, " +
            $"{Per(after.Inserted - before.Inserted):0.00} rows inserted, {Per(after.Updated - before.Updated):0.00} updated, " +
            $"{Per(after.Deleted - before.Deleted):0.00} deleted");
    }
}
