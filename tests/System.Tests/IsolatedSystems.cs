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
