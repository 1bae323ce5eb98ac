using System.Data.Common;
using Microsoft.Extensions.Configuration;

namespace Messaging.ServiceDefaults.Security;

/// <summary>
/// Finds the passwords this repository ships (appsettings.json, docker-compose.yml, the test services) in a host's
/// configuration. They are public, so a host in Production that still uses them is open to anyone who read the repository.
/// </summary>
internal static class ShippedCredentials
{
    /// <summary>The PostgreSQL password of appsettings.json and docker-compose.yml.</summary>
    public const string PostgresPassword = "messaging";

    /// <summary>RabbitMQ's own default user and password (also what an AMQP URI without user information logs in as).</summary>
    public const string RabbitMqUserInfo = "guest:guest";

    /// <summary>The keys whose values use a shipped password, each with what it uses.</summary>
    public static IReadOnlyList<string> Find(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var found = new List<string>();
        if (UsesShippedPostgresPassword(configuration.GetConnectionString("Postgres")))
        {
            found.Add($"ConnectionStrings:Postgres (Password={PostgresPassword})");
        }

        // Without user information the client logs in as guest:guest, so an AMQP URI without it counts too.
        if (configuration.GetConnectionString("RabbitMq") is { Length: > 0 } amqp
            && Uri.TryCreate(amqp, UriKind.Absolute, out var amqpUri)
            && amqpUri.Scheme.StartsWith("amqp", StringComparison.OrdinalIgnoreCase)
            && (amqpUri.UserInfo.Length == 0 || IsGuest(amqpUri)))
        {
            found.Add($"ConnectionStrings:RabbitMq ({RabbitMqUserInfo})");
        }

        if (Uri.TryCreate(configuration["RabbitMq:Management:Url"], UriKind.Absolute, out var management) && IsGuest(management))
        {
            found.Add($"RabbitMq:Management:Url ({RabbitMqUserInfo})");
        }

        return found;
    }

    private static bool IsGuest(Uri uri) =>
        string.Equals(Uri.UnescapeDataString(uri.UserInfo), RabbitMqUserInfo, StringComparison.Ordinal);

    private static bool UsesShippedPostgresPassword(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return false;
        }

        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
            return (builder.TryGetValue("Password", out var password) || builder.TryGetValue("Pwd", out password))
                && string.Equals(password as string, PostgresPassword, StringComparison.Ordinal);
        }
        catch (ArgumentException)
        {
            // Not a connection string at all: the data source's own validation names it.
            return false;
        }
    }
}
