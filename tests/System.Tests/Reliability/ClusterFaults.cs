using System.Diagnostics;
using System.Text.Json;
using Messaging.Testing.Harness;
using Npgsql;

namespace Messaging.System.Tests.Reliability;

/// <summary>
/// Faults of the clustered services <c>scripts/cluster up</c> started, and only of those: the processes it recorded
/// in <c>/var/tmp/messaging-cluster</c> (<c>MESSAGING_CLUSTER_DIR</c>) and its own PostgreSQL clusters
/// (15/mcluster-primary on 5442, 15/mcluster-standby on 5443). The machine's services (5672, 5432, 6379) are never
/// touched. <c>scripts/cluster up</c> brings back whatever was killed; <c>scripts/cluster reset-postgres</c> swaps the
/// PostgreSQL pair back after a promotion.
/// </summary>
public static class ClusterFaults
{
    private static readonly string StateDirectory = Environment.GetEnvironmentVariable("MESSAGING_CLUSTER_DIR") ?? "/var/tmp/messaging-cluster";
    private static readonly string Script = Path.Combine(RepositoryPaths.Root, "scripts", "cluster");

    /// <summary>The RabbitMQ node names, 1 to 3.</summary>
    public static string RabbitNode(int node) => $"rabbit-c{node}@localhost";

    /// <summary>
    /// The leader node of each quorum queue of <paramref name="virtualHost"/> (<c>rabbitmqctl list_queues name type leader</c>),
    /// asked of the first node that answers other than <paramref name="except"/>.
    /// </summary>
    public static async Task<Dictionary<string, string>> QuorumLeadersAsync(string virtualHost, int? except = null) =>
        (await QuorumQueuesAsync(virtualHost, except)).ToDictionary(q => q.Key, q => q.Value.Leader, StringComparer.Ordinal);

    /// <summary>Each quorum queue of <paramref name="virtualHost"/> with its leader and its members (the nodes holding a replica).</summary>
    public static async Task<Dictionary<string, (string Leader, int Members)>> QuorumQueuesAsync(string virtualHost, int? except = null)
    {
        foreach (var node in new[] { 1, 2, 3 }.Where(n => n != except))
        {
            var (exit, output) = await RunAsync(TimeSpan.FromSeconds(30), "rabbitmqctl", "-q", "-n", RabbitNode(node), "list_queues", "-p", virtualHost,
                "name", "type", "leader", "members", "--formatter", "json");
            if (exit != 0)
            {
                continue;
            }

            using var document = JsonDocument.Parse(output);
            return document.RootElement.EnumerateArray()
                .Where(q => q.GetProperty("type").GetString() == "quorum")
                .ToDictionary(
                    q => q.GetProperty("name").GetString()!,
                    q => (q.TryGetProperty("leader", out var l) ? l.GetString() ?? "" : "",
                          q.TryGetProperty("members", out var m) && m.ValueKind == JsonValueKind.Array ? m.GetArrayLength() : 0),
                    StringComparer.Ordinal);
        }

        throw new InvalidOperationException("no RabbitMQ node of scripts/cluster answers: run `scripts/cluster up`");
    }

    /// <summary>SIGKILL of one node's Erlang VM, the one whose pid <c>scripts/cluster up</c> recorded.</summary>
    public static async Task KillRabbitNodeAsync(int node)
    {
        var pid = await RecordedPidAsync($"rabbit-c{node}.pid", "beam.smp");
        await RunCheckedAsync("kill", "-KILL", pid);
    }

    /// <summary>The Redis master's port as the Sentinels name it.</summary>
    public static async Task<int?> RedisMasterPortAsync()
    {
        foreach (var sentinel in new[] { 26391, 26392, 26393 })
        {
            var (exit, output) = await RunAsync(TimeSpan.FromSeconds(10), "redis-cli", "-h", "127.0.0.1", "-p", sentinel.ToString(global::System.Globalization.CultureInfo.InvariantCulture),
                "sentinel", "get-master-addr-by-name", "messaging");
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (exit == 0 && lines.Length == 2 && int.TryParse(lines[1], out var port))
            {
                return port;
            }
        }

        return null;
    }

    /// <summary>SIGKILL of the Redis server on <paramref name="port"/> (the pid <c>scripts/cluster up</c> recorded).</summary>
    public static async Task KillRedisAsync(int port)
    {
        var pid = await RecordedPidAsync(Path.Combine("redis", $"{port}.pid"), "redis-server");
        await RunCheckedAsync("kill", "-KILL", pid);
    }

    /// <summary>The primary stopped without a checkpoint (like a crash), then the standby promoted.</summary>
    public static async Task FailOverPostgresAsync()
    {
        await RunCheckedAsync("pg_ctlcluster", "15", "mcluster-primary", "stop", "-m", "immediate");
        await RunCheckedAsync("pg_ctlcluster", "15", "mcluster-standby", "promote");
    }

    /// <summary>Whether the PostgreSQL cluster (mcluster-primary or mcluster-standby) is online (pg_lsclusters).</summary>
    public static async Task<bool> PostgresOnlineAsync(string cluster)
    {
        var (_, output) = await RunAsync(TimeSpan.FromSeconds(30), "pg_lsclusters", "-h");
        return output.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Any(c => c.Length >= 4 && c[0] == "15" && c[1] == cluster && c[3] == "online");
    }

    /// <summary>Whether a write through the multi-host connection string (the primary, wherever it is) succeeds.</summary>
    public static async Task<bool> PrimaryWritableAsync(string connectionString)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE TEMP TABLE probe (x int); SELECT NOT pg_is_in_recovery()", connection);
            return (bool)(await command.ExecuteScalarAsync())!;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary><c>scripts/cluster up</c>: starts whatever is missing (a killed node rejoins; the old PostgreSQL primary stays fenced).</summary>
    public static Task UpAsync() => RunCheckedAsync(Script, "up");

    /// <summary><c>scripts/cluster reset-postgres</c>: the primary on 5442 and its synchronous standby on 5443 again.</summary>
    public static async Task ResetPostgresAsync()
    {
        await RunCheckedAsync(Script, "reset-postgres");
        NpgsqlConnection.ClearAllPools();
    }

    private static async Task<string> RecordedPidAsync(string file, string command)
    {
        var path = Path.Combine(StateDirectory, file);
        var pid = File.Exists(path) ? (await File.ReadAllTextAsync(path)).Trim() : "";
        if (!int.TryParse(pid, out _) || !File.Exists($"/proc/{pid}/comm") || (await File.ReadAllTextAsync($"/proc/{pid}/comm")).Trim() != command)
        {
            throw new InvalidOperationException($"no running {command} recorded in {path}: this test kills only what `scripts/cluster up` started and recorded; run it.");
        }

        return pid;
    }

    private static async Task RunCheckedAsync(string file, params string[] arguments)
    {
        var (exit, output) = await RunAsync(TimeSpan.FromMinutes(4), file, arguments);
        if (exit != 0)
        {
            throw new InvalidOperationException($"`{file} {string.Join(' ', arguments)}` exited with {exit}: {output}");
        }
    }

    private static async Task<(int Exit, string Output)> RunAsync(TimeSpan timeout, string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        return (process.ExitCode, await output + await error);
    }
}
