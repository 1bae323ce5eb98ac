using Messaging.Testing.Harness;

namespace Messaging.System.Tests;

/// <summary>
/// A system of its own for the provider outage: short payments breaks, so the default run stays fast,
/// and a quick ramp-up after recovery. Its providers can be put in outage without touching other tests.
/// </summary>
public sealed class OutageSystem() : SystemFixture(new SystemSettings
{
    Name = "outage",
    Workers = environment =>
    {
        environment["Resilience__Dependencies__payments__Breaker__BreakDuration"] = OutageSettings.BreakDuration.ToString();
        environment["Commands__Types__payments.charge__Flow__RampStepInterval"] = "00:00:00.500";
    },
});

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

/// <summary>
/// A system of its own for dead letters and crashes: three quick delayed retries for payments, so
/// exhausting them takes a second or two, and providers and workers that tests may fault or kill.
/// </summary>
public sealed class FaultsSystem() : SystemFixture(new SystemSettings
{
    Name = "faults",
    Workers = environment =>
    {
        environment["Commands__Types__payments.charge__Retry__MaxAttempts"] = FaultsSettings.MaxAttempts.ToString(global::System.Globalization.CultureInfo.InvariantCulture);
        environment["Commands__Types__payments.charge__Retry__BaseDelay"] = "00:00:00.200";
        environment["Commands__Types__payments.charge__Retry__MaxDelay"] = "00:00:01";
    },
});

public static class FaultsSettings
{
    public const int MaxAttempts = 3;
}
