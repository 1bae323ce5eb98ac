using System.Diagnostics;
using Messaging.Testing.Harness;

namespace Messaging.Cli.Tests;

/// <summary>Runs the built <c>msg</c> tool (src/Cli) as a process, with the gateway and credentials in its environment.</summary>
internal static class MsgTool
{
    public static string AssemblyPath { get; } =
        Path.Combine(RepositoryPaths.Root, "src", "Cli", "bin", RepositoryPaths.Configuration, "net10.0", "Messaging.Cli.dll");

    public static Task<MsgResult> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        RunWithInputAsync(environment, "", args);

    /// <summary>Runs the tool with <paramref name="input"/> on its standard input.</summary>
    public static async Task<MsgResult> RunWithInputAsync(IReadOnlyDictionary<string, string?> environment, string input, params string[] args)
    {
        Assert.True(File.Exists(AssemblyPath), $"{AssemblyPath} is missing: build the solution first.");
        var info = new ProcessStartInfo("dotnet", [AssemblyPath, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var name in new[] { "MSG_GATEWAY_URL", "MSG_CLIENT_ID", "MSG_CLIENT_SECRET" })
        {
            info.Environment.Remove(name);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return new MsgResult(process.ExitCode, await output, await error);
    }
}

/// <summary>What one run of the tool did.</summary>
internal sealed record MsgResult(int ExitCode, string Output, string Error)
{
    /// <summary>The lines of standard error, without empty ones.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}
