using Messaging.Testing.Harness;

namespace Messaging.System.Tests;

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
