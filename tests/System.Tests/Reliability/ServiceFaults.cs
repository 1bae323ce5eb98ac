using System.Diagnostics;
using Messaging.Testing.Harness;
using Npgsql;

namespace Messaging.System.Tests.Reliability;

/// <summary>
/// Faults of the real services on this machine (the ones <c>scripts/services up</c> starts): RabbitMQ
/// stopped and started (<c>rabbitmqctl stop_app</c>/<c>start_app</c>) or killed hard, its connections
/// closed, PostgreSQL stopped immediately, Redis shut down. Each fault returns a scope whose disposal
/// restores the service and waits until it answers; <see cref="RestoreAllAsync"/> brings everything back
/// whatever happened. Loopback only: these are the local services, nothing else.
/// </summary>
public static class ServiceFaults
{
    private static readonly string PostgresVersion = Environment.GetEnvironmentVariable("PG_VERSION") ?? "15";

    /// <summary><c>rabbitmqctl stop_app</c>: the broker's node stays, every connection drops, nothing is accepted.</summary>
    public static async Task<IAsyncDisposable> StopRabbitMqAsync()
    {
        await RunAsync("rabbitmqctl", "-q", "stop_app");
        return new Restore(async () =>
        {
            await RunAsync("rabbitmqctl", "-q", "start_app");
            await RestoreAllAsync();
        });
    }

    /// <summary>SIGKILL of the broker's Erlang VM: no clean shutdown, like a crash of the machine's broker.</summary>
    public static async Task<IAsyncDisposable> KillRabbitMqAsync()
    {
        await RunAsync("pkill", "-KILL", "-f", "beam.smp.*rabbit");
        return new Restore(RestoreAllAsync);
    }

    /// <summary>Closes every client connection of the broker (the broker itself stays up).</summary>
    public static Task CloseBrokerConnectionsAsync() =>
        RunAsync("rabbitmqctl", "-q", "close_all_connections", "fault injection");

    /// <summary><c>pg_ctlcluster stop -m immediate</c>: PostgreSQL goes away without a checkpoint, like a crash.</summary>
    public static async Task<IAsyncDisposable> StopPostgresAsync()
    {
        await RunAsync("pg_ctlcluster", PostgresVersion, "main", "stop", "-m", "immediate");
        return new Restore(async () =>
        {
            await RestoreAllAsync();
            // The test process's own pooled connections died with the server.
            NpgsqlConnection.ClearAllPools();
        });
    }

    /// <summary>Redis shut down without saving (its state is only rate-limit and breaker data).</summary>
    public static async Task<IAsyncDisposable> StopRedisAsync()
    {
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
