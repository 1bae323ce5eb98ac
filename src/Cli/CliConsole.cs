namespace Messaging.Cli;

/// <summary>Where the tool writes: results to <paramref name="Out"/>, progress and errors to <paramref name="Error"/>.</summary>
/// <param name="Out">Standard output: tables, or JSON with <c>--json</c>.</param>
/// <param name="Error">Standard error: one-line failure reasons and progress.</param>
/// <param name="Interactive">Whether a person watches standard error (progress rewrites one line; <c>--watch</c> clears the screen).</param>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, bool Interactive);

/// <summary>A failure the tool reports as one line and an exit code, without a stack trace.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>The tool's exit codes (documented in <c>msg --help</c> and the README).</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Success = 0;

    /// <summary>The gateway refused the request or could not be reached.</summary>
    public const int Failure = 1;

    /// <summary>Wrong usage: a missing or invalid option or argument.</summary>
    public const int Usage = 2;

    /// <summary><c>--wait</c>: the command ended Failed, DeadLettered, Expired or Cancelled.</summary>
    public const int CommandNotSucceeded = 3;

    /// <summary><c>--wait</c>: the command did not end within the wait timeout.</summary>
    public const int WaitTimedOut = 4;

    /// <summary>Interrupted (Ctrl-C).</summary>
    public const int Interrupted = 130;
}
