using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Messaging.Testing.Harness;

/// <summary>
/// One of the system's hosts (Gateway, Workers, FakeServices) running as a real child process from its
/// built assembly, with its own environment. Output goes to a log file under the test results folder,
/// so a failed test shows what the process said (and the secret scan can read it).
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly string _assemblyPath;
    private readonly Dictionary<string, string> _environment;
    private readonly string _logPath;
    private Process? _process;
    private StreamWriter? _log;

    /// <summary>A process of <paramref name="assemblyPath"/>, not started yet, logging to <c>&lt;logDirectory&gt;/&lt;name&gt;.log</c>.</summary>
    public ServiceProcess(string name, string assemblyPath, IReadOnlyDictionary<string, string> environment, string logDirectory)
    {
        Name = name;
        _assemblyPath = assemblyPath;
        _environment = new Dictionary<string, string>(environment, StringComparer.Ordinal);
        Directory.CreateDirectory(logDirectory);
        _logPath = Path.Combine(logDirectory, $"{name}.log");
    }

    /// <summary>The name of the process and of its log file.</summary>
    public string Name { get; }

    /// <summary>The process's log file.</summary>
    public string LogPath => _logPath;

    /// <summary>Whether the process was started and has not exited.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Changes one environment variable for the next <see cref="Start"/> (null removes it).</summary>
    public void SetEnvironment(string key, string? value)
    {
        if (value is null)
        {
            _environment.Remove(key);
        }
        else
        {
            _environment[key] = value;
        }
    }

    /// <summary>Starts the process (again, after <see cref="Kill"/>), appending its output to the log.</summary>
    public void Start()
    {
        if (!File.Exists(_assemblyPath))
        {
            throw new InvalidOperationException($"{_assemblyPath} is missing: build the solution first (`dotnet build Messaging.sln`).");
        }

        var info = new ProcessStartInfo("dotnet", [_assemblyPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(_assemblyPath)!,
        };
        foreach (var (key, value) in _environment)
        {
            info.Environment[key] = value;
        }

        _log ??= new StreamWriter(new FileStream(_logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), Encoding.UTF8) { AutoFlush = true };
        _process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Write(e.Data);
        _process.ErrorDataReceived += (_, e) => Write(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>SIGKILL: no graceful shutdown, exactly like a crash.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>Everything the process wrote so far.</summary>
    public string ReadLog()
    {
        using var stream = new FileStream(_logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>SIGTERM, then SIGKILL after 10 s, and closes the log.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            // SIGTERM first so the host stops cleanly; then make sure.
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process?.Dispose();
        if (_log is not null)
        {
            await _log.DisposeAsync();
        }
    }

    private void Write(string? line)
    {
        if (line is not null)
        {
            lock (_logPath)
            {
                _log?.WriteLine(line);
            }
        }
    }
}
