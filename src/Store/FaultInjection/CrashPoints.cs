using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Messaging.Store.FaultInjection;

/// <summary>
/// The named places where a crash would hurt most (a write done, the step that records it not yet), for
/// the reliability tests: with <see cref="FaultInjectionOptions.CrashAt"/> set, the process kills itself
/// (SIGKILL, no shutdown) at that place with the configured probability. Off by default, and refused at
/// start outside the <c>Testing</c> environment, so production configuration cannot enable it.
/// </summary>
public sealed class CrashPoints
{
    /// <summary>The relay has the broker's confirm for a batch and has not yet marked its rows sent.</summary>
    public const string RelayAfterConfirm = "relay-after-confirm";

    /// <summary>A worker has the provider's answer and has not yet stored it.</summary>
    public const string WorkerAfterProviderCall = "worker-after-provider-call";

    /// <summary>A worker has committed the command's outcome and has not yet acknowledged the message.</summary>
    public const string WorkerAfterStatusCommit = "worker-after-status-commit";

    /// <summary>Every crash point, as configuration names them.</summary>
    public static IReadOnlyList<string> All { get; } = [RelayAfterConfirm, WorkerAfterProviderCall, WorkerAfterStatusCommit];

    private readonly string? _crashAt;
    private readonly double _probability;

    /// <summary>Creates the crash points from validated options.</summary>
    public CrashPoints(IOptions<FaultInjectionOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _crashAt = options.Value.CrashAt;
        _probability = options.Value.Probability;
    }

    /// <summary>True when a crash point is configured (only ever in the Testing environment).</summary>
    public bool Enabled => _crashAt is not null;

    /// <summary>Kills this process when <paramref name="point"/> is the configured one and the dice say so.</summary>
    public void Reached(string point)
    {
        if (_crashAt is null || !string.Equals(_crashAt, point, StringComparison.Ordinal)
            || Random.Shared.NextDouble() >= _probability)
        {
            return;
        }

        // Straight to stderr, synchronously: a logger's queue would die with the process.
        Console.Error.WriteLine($"fault injection: crashing at {point}");
        Console.Error.Flush();
        using var self = Process.GetCurrentProcess();
        self.Kill();
    }
}
