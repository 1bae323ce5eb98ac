namespace Messaging.System.Tests;

/// <summary>The figures of the outage scenario (the full run with <c>SYSTEM_TESTS_FULL=1</c>).</summary>
public static class OutageSettings
{
    public static bool Full { get; } = Environment.GetEnvironmentVariable("SYSTEM_TESTS_FULL") == "1";

    /// <summary>Commands queued during the outage.</summary>
    public static int Commands => Full ? 1000 : 200;

    /// <summary>How long both payments instances are down.</summary>
    public static TimeSpan Outage => Full ? TimeSpan.FromSeconds(60) : TimeSpan.FromSeconds(20);

    /// <summary>The payments breakers' break (the workers' default is 15 s).</summary>
    public static TimeSpan BreakDuration => TimeSpan.FromSeconds(5);

    /// <summary>The workers' defaults these tests rely on (appsettings.json and the options' defaults).</summary>
    public const int MinimumThroughput = 10;

    public const int ConcurrencyLimit = 8;

    public const int PaymentsEndpoints = 2;
}
