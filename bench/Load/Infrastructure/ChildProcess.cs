using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Messaging.Load.Infrastructure;

/// <summary>
/// One of the product's hosts (Gateway, Workers, FakeServices) started as <c>dotnet &lt;dll&gt;</c> with its
/// configuration in the environment and its output in <c>artifacts/bench/logs</c>. Dispose stops exactly
/// this process (and its children).
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ChildProcess(string name, Process process, StreamWriter log)
    {
        Name = name;
        _process = process;
        _log = log;
    }

    public string Name { get; }

    public int Id => _process.Id;

    /// <summary>CPU time the process used so far (user + system).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.HasExited ? TimeSpan.Zero : _process.TotalProcessorTime;
        }
    }

    /// <summary>
    /// Resident memory in bytes (VmRSS of <c>/proc/&lt;pid&gt;/status</c>, read directly so a sampler thread never
    /// shares the <see cref="Process"/> object with <see cref="CpuTime"/>); 0 once the process has ended.
    /// </summary>
    public long ResidentBytes
    {
        get
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{Id.ToString(System.Globalization.CultureInfo.InvariantCulture)}/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        // "VmRSS:     153472 kB"
                        return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
                    }
                }
            }
            catch (IOException)
            {
                // the process ended meanwhile
            }

            return 0;
        }
    }

    public static ChildProcess Start(string name, string dll, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} does not exist: build it first (dotnet build -c {RepositoryLayout.Configuration} bench/Load builds it).");
        }

        var info = StartInfo(dll, environment, arguments);

        Directory.CreateDirectory(RepositoryLayout.LogDirectory);
        var log = new StreamWriter(Path.Combine(RepositoryLayout.LogDirectory, name + ".log"), append: false) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(name, process, log);
    }

    // `dotnet <dll> <arguments>` with the host's own folder as working directory and both streams redirected.
    private static ProcessStartInfo StartInfo(string dll, IReadOnlyDictionary<string, string> environment, string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        return info;
    }

    /// <summary>Runs a host to completion (a CLI command) and returns its standard output.</summary>
    public static async Task<string> RunToEndAsync(string dll, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = StartInfo(dll, environment, arguments);

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(dll)} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error.ConfigureAwait(false)}");
        }

        return await output.ConfigureAwait(false);
    }

    /// <summary>Waits until <paramref name="url"/> answers with a success status, or fails naming the log.</summary>
    public async Task WaitForHttpAsync(Uri url, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited during start (exit code {_process.ExitCode}); see {RepositoryLayout.LogDirectory}/{Name}.log");
            }

            try
            {
                using var response = await http.GetAsync(url).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"{Name} did not answer {url} within {timeout.TotalSeconds} s; see {RepositoryLayout.LogDirectory}/{Name}.log");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM first so the host stops gracefully (its bus and connections close), then kill.
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync().ConfigureAwait(false);
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        await _log.DisposeAsync().ConfigureAwait(false);
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }
}
