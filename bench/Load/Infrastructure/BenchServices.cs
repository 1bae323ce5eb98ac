using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Messaging.Store.Persistence;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Messaging.Load.Infrastructure;

/// <summary>
/// The real PostgreSQL, RabbitMQ and Redis of this machine (<c>scripts/services up</c>), isolated per run: fresh
/// databases and a fresh virtual host, all removed again on dispose, and a Redis key prefix.
/// </summary>
internal sealed class BenchServices : IAsyncDisposable
{
    public const string AdminPostgres = "Host=127.0.0.1;Port=5432;Database=messaging;Username=messaging;Password=messaging";
    private const string Management = "http://127.0.0.1:15672/";
    private readonly List<string> _databases = [];
    private readonly List<string> _virtualHosts = [];
    private readonly string _name = "bench" + Guid.NewGuid().ToString("N")[..10];

    public string RedisConnectionString => "127.0.0.1:6379";

    public string RedisKeyPrefix => _name + ":";

    /// <summary>Creates an empty database with the product's schema and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(int maxPoolSize = 100, bool migrate = true)
    {
        var name = $"{_name}_{_databases.Count}";
        try
        {
            await using var connection = new NpgsqlConnection(AdminPostgres);
            await connection.OpenAsync().ConfigureAwait(false);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException)
        {
            throw new InvalidOperationException("PostgreSQL is not reachable at 127.0.0.1:5432. Start it with `scripts/services up`.", ex);
        }

        _databases.Add(name);
        var connectionString = new NpgsqlConnectionStringBuilder(AdminPostgres) { Database = name, MaxPoolSize = maxPoolSize }.ConnectionString;
        if (migrate)
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync().ConfigureAwait(false);
        }

        return connectionString;
    }

    /// <summary>Creates a virtual host and returns its AMQP URI.</summary>
    public async Task<string> CreateVirtualHostAsync()
    {
        var name = $"{_name}_{_virtualHosts.Count}";
        using var http = ManagementClient();
        try
        {
            (await http.PutAsync(new Uri($"api/vhosts/{name}", UriKind.Relative), Json("{}")).ConfigureAwait(false)).EnsureSuccessStatusCode();
            (await http.PutAsync(new Uri($"api/permissions/{name}/guest", UriKind.Relative),
                Json("""{"configure":".*","write":".*","read":".*"}""")).ConfigureAwait(false)).EnsureSuccessStatusCode();
        }
        catch (HttpRequestException ex)
        {
            throw new InvalidOperationException("RabbitMQ (management on 127.0.0.1:15672) is not reachable. Start it with `scripts/services up`.", ex);
        }

        _virtualHosts.Add(name);
        return $"amqp://guest:guest@127.0.0.1:5672/{name}";
    }

    /// <summary>Messages ready in a queue of a virtual host, from the management API (refreshed every few seconds by the broker).</summary>
    public static async Task<long> QueueDepthAsync(string amqpUri, string queue)
    {
        var vhost = Uri.EscapeDataString(new Uri(amqpUri).AbsolutePath.TrimStart('/'));
        using var http = ManagementClient();
        using var response = await http.GetAsync(new Uri($"api/queues/{vhost}/{Uri.EscapeDataString(queue)}", UriKind.Relative)).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var document = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
        return document.RootElement.TryGetProperty("messages", out var messages) ? messages.GetInt64() : 0;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var connection = new NpgsqlConnection(AdminPostgres);
            await connection.OpenAsync().ConfigureAwait(false);
            foreach (var name in _databases)
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
        }
        catch (NpgsqlException ex)
        {
            await Console.Error.WriteLineAsync($"could not drop the bench databases: {ex.Message}").ConfigureAwait(false);
        }

        using var http = ManagementClient();
        foreach (var name in _virtualHosts)
        {
            try
            {
                await http.DeleteAsync(new Uri($"api/vhosts/{name}", UriKind.Relative)).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                await Console.Error.WriteLineAsync($"could not delete virtual host {name}: {ex.Message}").ConfigureAwait(false);
            }
        }

        try
        {
            await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(RedisConnectionString).ConfigureAwait(false);
            var server = redis.GetServers()[0];
            var database = redis.GetDatabase();
            await foreach (var key in server.KeysAsync(pattern: RedisKeyPrefix + "*").ConfigureAwait(false))
            {
                await database.KeyDeleteAsync(key).ConfigureAwait(false);
            }
        }
        catch (StackExchange.Redis.RedisException ex)
        {
            await Console.Error.WriteLineAsync($"could not remove the bench Redis keys: {ex.Message}").ConfigureAwait(false);
        }
    }

    private static HttpClient ManagementClient()
    {
        var http = new HttpClient { BaseAddress = new Uri(Management), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("guest:guest")));
        return http;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
