using System.Data.Common;
using Npgsql;

namespace Messaging.Store.Persistence;

/// <summary>
/// The product's defaults for the PostgreSQL connection string, applied where the operator did not set the keyword.
/// </summary>
internal static class PostgresConnectionDefaults
{
    /// <summary>
    /// Statements Npgsql prepares on each physical connection once they ran <c>Auto Prepare Min Usages</c> (5) times.
    /// Every statement on the command path is one of a few fixed texts (the accept's inserts, the relay's claim and marks,
    /// the workers' find, claim and terminal CTEs), so preparing them saves PostgreSQL the parse and plan of each one:
    /// issue 23's profile found PostgreSQL spending more CPU per completed command than the workers themselves.
    /// 0 in the connection string (<c>Max Auto Prepare=0</c>) turns it off, e.g. behind a pooler that cannot keep
    /// prepared statements.
    /// </summary>
    public const int MaxAutoPrepare = 64;

    /// <summary>Sets <see cref="MaxAutoPrepare"/> on <paramref name="builder"/> unless its connection string names the keyword.</summary>
    public static NpgsqlDataSourceBuilder Apply(NpgsqlDataSourceBuilder builder, string connectionString)
    {
        if (!Names(connectionString, "maxautoprepare"))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = MaxAutoPrepare;
        }

        return builder;
    }

    // Npgsql accepts "Max Auto Prepare" and "MaxAutoPrepare" in any case.
    private static bool Names(string connectionString, string keyword)
    {
        var parsed = new DbConnectionStringBuilder { ConnectionString = connectionString };
        foreach (string key in parsed.Keys)
        {
            if (string.Equals(key.Replace(" ", "", StringComparison.Ordinal), keyword, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
