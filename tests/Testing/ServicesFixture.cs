using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Xunit;

namespace Messaging.Testing;

/// <summary>
/// The real PostgreSQL, RabbitMQ and Redis that tests run against, isolated per fixture: a fresh
/// database and a fresh RabbitMQ virtual host, removed again at the end, and a Redis key prefix.
/// <see cref="TestServices"/> chooses the services: containers of their own when a Docker engine answers, the
/// machine's otherwise (connection details from <c>MESSAGING_TEST_POSTGRES</c>, <c>MESSAGING_TEST_RABBITMQ_MANAGEMENT</c>,
/// <c>MESSAGING_TEST_RABBITMQ_HOST</c>, <c>MESSAGING_TEST_REDIS</c>, defaulting to what <c>scripts/services up</c>
/// starts); <c>MESSAGING_TEST_SERVICES</c> forces either. A missing service fails the test with the command that
/// fixes it; it never skips.
/// </summary>
public class ServicesFixture : IAsyncLifetime
{
    private readonly List<string> _databases = [];
    private TestServiceEndpoints _services = TestServiceEndpoints.FromEnvironment();
    private readonly string _name = "t" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A fresh, empty database (the hosts apply the schema on start).</summary>
    public string PostgresConnectionString { get; private set; } = "";

    /// <summary>An AMQP URI on a fresh virtual host.</summary>
    public string RabbitMqConnectionString { get; private set; } = "";

    /// <summary>The virtual host name behind <see cref="RabbitMqConnectionString"/>.</summary>
    public string RabbitMqVirtualHost => _name;

    /// <summary>The Redis connection string.</summary>
    public string RedisConnectionString => _services.Redis;

    /// <summary>A key prefix unique to this fixture.</summary>
    public string RedisKeyPrefix => _name + ":";

    /// <summary>Configuration keys for a host under test, pointing at this fixture's services.</summary>
    public virtual IDictionary<string, string?> HostConfiguration() => new Dictionary<string, string?>
    {
        ["ConnectionStrings:Postgres"] = PostgresConnectionString,
        ["ConnectionStrings:RabbitMq"] = RabbitMqConnectionString,
        ["ConnectionStrings:Redis"] = RedisConnectionString,
        ["Redis:KeyPrefix"] = RedisKeyPrefix,
        ["Messaging:SigningKeys:0"] = MessageSigningKey,
        // The local services use the shipped passwords, which a host in Production refuses otherwise.
        ["Security:AllowDefaultCredentials"] = "true",
    };

    /// <summary>The key every test host signs its internal messages with (<c>Messaging:SigningKeys</c>; base64 of 32 bytes, not a secret).</summary>
    public const string MessageSigningKey = "dGVzdHMtbWVzc2FnZS1zaWduaW5nLWtleS0wMTIzNDU2Nzg5";

    /// <summary>Creates the database and the virtual host, and checks that Redis answers.</summary>
    public virtual async ValueTask InitializeAsync()
    {
        _services = await ServiceEndpointsAsync();
        PostgresConnectionString = await CreateDatabaseAsync();
        await CreateVirtualHostAsync();
        var amqp = new UriBuilder($"amqp://guest:guest@{_services.RabbitAmqpHost}/") { Path = "/" + _name };
        RabbitMqConnectionString = amqp.Uri.ToString();
        await EnsureRedisAsync(_services.Redis);
    }

    /// <summary>
    /// The services this fixture isolates itself in: <see cref="TestServices"/>' choice, unless a fixture names others
    /// (the clustered services of <c>scripts/cluster up</c>, for the failover scenarios).
    /// </summary>
    protected virtual Task<TestServiceEndpoints> ServiceEndpointsAsync() => TestServices.GetEndpointsAsync();

    /// <summary>Creates another empty database, dropped with the fixture.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"{_name}_{_databases.Count}";
        try
        {
            // Generous timeouts: with a whole test project starting its hosts on two cores, connecting and CREATE DATABASE
            // once took longer than Npgsql's 15 s and failed a fixture. A stopped server still fails at once (refused).
            var admin = new NpgsqlConnectionStringBuilder(_services.AdminPostgres) { Timeout = 60, CommandTimeout = 120 };
            await using var connection = new NpgsqlConnection(admin.ConnectionString);
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"PostgreSQL is not reachable at {Describe(_services.AdminPostgres)}. {Fix}", ex);
        }

        _databases.Add(name);
        return new NpgsqlConnectionStringBuilder(_services.AdminPostgres) { Database = name, MaxPoolSize = 50 }.ConnectionString;
    }

    private async Task CreateVirtualHostAsync()
    {
        using var http = ManagementClient(_services.RabbitManagement);
        try
        {
            (await http.PutAsync($"api/vhosts/{_name}", Json("{}"))).EnsureSuccessStatusCode();
            (await http.PutAsync($"api/permissions/{_name}/guest", Json("""{"configure":".*","write":".*","read":".*"}"""))).EnsureSuccessStatusCode();
        }
        catch (HttpRequestException ex)
        {
            throw new InvalidOperationException(
                $"RabbitMQ (with its management plugin) is not reachable at {_services.RabbitManagement.GetLeftPart(UriPartial.Authority)}. {Fix}", ex);
        }
    }

    private static async Task EnsureRedisAsync(string redis)
    {
        var endpoint = redis.Split(',')[0].Split(':');
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(endpoint[0], endpoint.Length > 1 ? int.Parse(endpoint[1], CultureInfo.InvariantCulture) : 6379);
        }
        catch (SocketException ex)
        {
            throw new InvalidOperationException($"Redis is not reachable at {redis.Split(',')[0]}. {Fix}", ex);
        }
    }

    /// <summary>Drops the databases and deletes the virtual host (a stopped service leaves them behind).</summary>
    public virtual async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var connection = new NpgsqlConnection(_services.AdminPostgres);
            await connection.OpenAsync();
            foreach (var name in _databases)
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
            }
        }
        catch (NpgsqlException)
        {
            // A test that stopped PostgreSQL leaves its database behind; the next run does not reuse names.
        }

        using var http = ManagementClient(_services.RabbitManagement);
        try
        {
            await http.DeleteAsync($"api/vhosts/{_name}");
        }
        catch (HttpRequestException)
        {
            // Same for a stopped broker.
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>What to do about a service that cannot be reached, for the mode in use.</summary>
    private static string Fix => TestServices.Mode == TestServicesMode.Machine
        ? "Start it with `scripts/services up` (or name it with the MESSAGING_TEST_* variables)."
        : $"It is a container of this test run ({TestServices.ModeVariable}=containers or a Docker engine answered): check the engine, or use the machine's services with {TestServices.ModeVariable}=machine after `scripts/services up`.";

    private static string Describe(string postgres)
    {
        var builder = new NpgsqlConnectionStringBuilder(postgres);
        return $"{builder.Host}:{builder.Port}";
    }

    private static HttpClient ManagementClient(Uri management)
    {
        var http = new HttpClient { BaseAddress = new Uri(management.GetLeftPart(UriPartial.Authority) + "/"), Timeout = TimeSpan.FromSeconds(10) };
        var userInfo = Uri.UnescapeDataString(management.UserInfo);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userInfo)));
        return http;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
