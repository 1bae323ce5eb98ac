using System.ComponentModel.DataAnnotations;

namespace Messaging.Store.FaultInjection;

/// <summary>Crash injection for the reliability tests (section <c>FaultInjection</c>); honoured only in the <c>Testing</c> environment.</summary>
public sealed class FaultInjectionOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "FaultInjection";

    /// <summary>The crash point to crash at (one of <see cref="CrashPoints.All"/>), or null (default) for none.</summary>
    public string? CrashAt { get; set; }

    /// <summary>The chance of crashing each time the point is reached. Default 0.05.</summary>
    [Range(0.0, 1.0)]
    public double Probability { get; set; } = 0.05;
}
