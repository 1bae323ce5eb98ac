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
    },
});
