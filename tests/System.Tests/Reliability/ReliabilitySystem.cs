using System.Globalization;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests.Reliability;

/// <summary>
/// The system the reliability scenarios break: its own Gateway, Workers and FakeServices processes, short
/// payments breaks and a quick ramp-up so recoveries are fast. The scenarios stop the machine's real
/// RabbitMQ, PostgreSQL and Redis, so they run in a collection of their own, after every parallel test.
/// </summary>
public sealed class ReliabilitySystem() : SystemFixture(new SystemSettings
{
    Name = "reliability",
    Workers = environment =>
    {
        environment["Resilience__Dependencies__payments__Breaker__BreakDuration"] = "00:00:05";
        environment["Commands__Types__payments.charge__Flow__RampStepInterval"] = "00:00:00.500";
    },
    Gateway = environment =>
    {
        // One tenant on a small tier: scenario 7 checks that two gateways together hold it.
        environment["RateLimiting__Tenants__Tiers__limited__PermitLimit"] = ReliabilitySettings.LimitedTierPermits.ToString(CultureInfo.InvariantCulture);
        environment["RateLimiting__Tenants__Tiers__limited__Window"] = "01:00:00";
        environment[$"RateLimiting__Tenants__Assignments__{ReliabilitySettings.LimitedTenant}"] = "limited";

        // Scenario 7 counts the shared tier's permits exactly, so a Redis decision must not give up while the machine is
        // saturated by two gateways, two workers and the drain: with the product's 250 ms attempt timeout (and 200 ms slow
        // calls) one late answer sends a gateway to its local share, which lets a request or two more through (by design:
        // availability over exactness). A stopped Redis (scenario 4) still fails at once: its calls are refused, not slow.
        environment["Resilience__Dependencies__redis__AttemptTimeout"] = "00:00:02";
        environment["Resilience__Dependencies__redis__TotalTimeout"] = "00:00:02";
        environment["Resilience__Dependencies__redis__Breaker__SlowCallThreshold"] = "00:00:01";
    },
});
