using System.Globalization;

namespace Messaging.System.Tests.Reliability;

/// <summary>The sizes of the scenarios: small in CI, the full figures with <c>SYSTEM_TESTS_FULL=1</c>.</summary>
public static class ReliabilitySettings
{
    public static bool Full => OutageSettings.Full;

    /// <summary>Scenario 1: commands submitted at a steady rate while the broker restarts and workers die.</summary>
    public static int SteadyCommands => Full ? 5000 : 400;

    public static double SteadyRate => Full ? 50 : 20;

    /// <summary>Scenario 2: commands per crash window.</summary>
    public static int CrashWindowCommands => Full ? 600 : 120;

    /// <summary>Scenario 2: crashes per process after which the crash point is switched off.</summary>
    public static int CrashesPerWindow => Full ? 10 : 3;

    /// <summary>Scenario 3: how long PostgreSQL is down.</summary>
    public static TimeSpan PostgresOutage => TimeSpan.FromSeconds(20);

    /// <summary>Scenario 7: the tenant on a small tier, and its permits per hour.</summary>
    public const string LimitedTenant = "tenant-rel-limited";

    public const int LimitedTierPermits = 40;

    /// <summary>How long the checker waits after the last fault for every acknowledged command to end.</summary>
    public static TimeSpan DrainLimit => TimeSpan.FromMinutes(3);

    public static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);
}
