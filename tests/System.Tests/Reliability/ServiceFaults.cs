using System.Diagnostics;
using Messaging.Testing;
using Messaging.Testing.Harness;
using Npgsql;

namespace Messaging.System.Tests.Reliability;

/// <summary>
/// Faults of the real services on this machine (the ones <c>scripts/services up</c> starts): RabbitMQ
/// stopped and started (<c>rabbitmqctl stop_app</c>/<c>start_app</c>) or killed hard, its connections
/// closed, PostgreSQL stopped immediately, Redis shut down. The hard kill takes only the broker that
/// <c>scripts/services up</c> started and recorded (its pid file), never another RabbitMQ on the machine. Each fault returns a scope whose disposal
/// restores the service and waits until it answers; <see cref="RestoreAllAsync"/> brings everything back
/// whatever happened. Loopback only: these are the local services, nothing else.
/// </summary>
public static class ServiceFaults
{
    /// <summary>Where <c>scripts/services up</c> records what it started (<c>MESSAGING_STATE_DIR</c>).</summary>
    private static readonly string StateDirectory = Environment.GetEnvironmentVariable("MESSAGING_STATE_DIR") ?? "/var/tmp/messaging-services";

    /// <summary><c>rabbitmqctl stop_app</c>: the broker's node stays, every connection drops, nothing is accepted.</summary>
    public static async Task<IAsyncDisposable> StopRabbitMqAsync()
    {
        EnsureMachineServices();
        await RunAsync("rabbitmqctl", "-q", "stop_app");
        return new Restore(async () =>
        {
            await RunAsync("rabbitmqctl", "-q", "start_app");
            await RestoreAllAsync();
        });
    }

    /// <summary>
    /// SIGKILL of the broker's Erlang VM: no clean shutdown, like a crash of the machine's broker. Only the VM whose
    /// pid <c>scripts/services up</c> recorded is killed, never another RabbitMQ on the machine.
    /// </summary>
    public static async Task<IAsyncDisposable> KillRabbitMqAsync()
    {
        EnsureMachineServices();
        var pidFile = Path.Combine(StateDirectory, "rabbitmq.pid");
        var pid = File.Exists(pidFile) ? (await File.ReadAllTextAsync(pidFile)).Trim() : "";
        if (!int.TryParse(pid, out _) || !File.Exists($"/proc/{pid}/comm") || (await File.ReadAllTextAsync($"/proc/{pid}/comm")).Trim() != "beam.smp")
        {
            throw new InvalidOperationException(
                $"The RabbitMQ on this machine was not started by scripts/services (no running beam.smp pid in {pidFile}), so this test "
                + "does not kill it: stop that broker and run `scripts/services up`, which records the pid of the one it starts.");
        }

        await RunAsync("kill", "-KILL", pid);
        return new Restore(RestoreAllAsync);
    }

    /// <summary>Closes every client connection of the broker (the broker itself stays up).</summary>
    public static Task CloseBrokerConnectionsAsync()
    {
        EnsureMachineServices();
        return RunAsync("rabbitmqctl", "-q", "close_all_connections", "fault injection");
    }

    /// <summary>These faults act on the machine's services: tests on containers of their own would not feel them.</summary>
    private static void EnsureMachineServices()
    {
        if (TestServices.Mode != TestServicesMode.Machine)
        {
            throw new InvalidOperationException(
                $"The reliability scenarios stop and kill the machine's services, but this run uses containers ({TestServices.ModeVariable}): run them with {TestServices.ModeVariable}=machine after `scripts/services up`.");
        }
    }

    /// <summary><c>pg_ctlcluster stop -m immediate</c>: PostgreSQL goes away without a checkpoint, like a crash.</summary>
    public static async Task<IAsyncDisposable> StopPostgresAsync()
    {
        EnsureMachineServices();
        var (version, cluster) = await PostgresClusterAsync();
        await RunAsync("pg_ctlcluster", version, cluster, "stop", "-m", "immediate");
        return new Restore(async () =>
        {
            await RestoreAllAsync();
            // The test process's own pooled connections died with the server.
            NpgsqlConnection.ClearAllPools();
        });
    }

    /// <summary>
    /// The PostgreSQL cluster to stop: the one <c>scripts/services up</c> started (<c>postgres.cluster</c>), else the
    /// Debian cluster listening on port 5432 (pg_lsclusters); no hard-coded major.
    /// </summary>
    private static async Task<(string Version, string Cluster)> PostgresClusterAsync()
    {
        var recorded = Path.Combine(StateDirectory, "postgres.cluster");
        var words = File.Exists(recorded) ? (await File.ReadAllTextAsync(recorded)).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
        if (words.Length == 2)
        {
            return (words[0], words[1]);
        }

        var clusters = await OutputAsync("pg_lsclusters", "-h");
        foreach (var line in clusters.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length >= 3 && columns[2] == "5432")
            {
                return (columns[0], columns[1]);
            }
        }

        throw new InvalidOperationException($"No PostgreSQL cluster of this machine listens on 5432 (pg_lsclusters: {clusters.Trim()}): run `scripts/services up`.");
    }

    /// <summary>Redis shut down without saving (its state is only rate-limit and breaker data).</summary>
    public static async Task<IAsyncDisposable> StopRedisAsync()
    {
        EnsureMachineServices();
        await RunAsync("redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave");
        return new Restore(RestoreAllAsync);
    }

    /// <summary>Starts whatever of the three services is down and waits until each answers (<c>scripts/services up</c>).</summary>
    public static async Task RestoreAllAsync()
    {
        // A broker whose application was stopped needs start_app before `services up` can see it ready.
        await RunAsync(allowFailure: true, "rabbitmqctl", "-q", "start_app");
        await RunAsync(Path.Combine(RepositoryPaths.Root, "scripts", "services"), "up");
    }

    private static Task RunAsync(string file, params string[] arguments) => RunAsync(allowFailure: false, file, arguments);

    private static async Task RunAsync(bool allowFailure, string file, params string[] arguments)
    {
        var asRoot = Environment.UserName != "root" && file != Path.Combine(RepositoryPaths.Root, "scripts", "services");
        var info = new ProcessStartInfo(asRoot ? "sudo" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asRoot)
        {
            info.ArgumentList.Add("-n");
            info.ArgumentList.Add(file);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0 && !allowFailure)
        {
            throw new InvalidOperationException(
                $"`{file} {string.Join(' ', arguments)}` exited with {process.ExitCode}: {await output}{await error} (is `scripts/services up` able to run here?)");
        }
    }

    private static async Task<string> OutputAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }

    private sealed class Restore(Func<Task> restore) : IAsyncDisposable
    {
        private int _done;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                await restore();
            }
        }
    }
}
