using Messaging.Testing.Harness;

namespace Messaging.System.Tests;

/// <summary>
/// A system of its own whose gateway and workers know a command type from environment variables alone, declared
/// under a label (<c>Commands__Types__crm__Name</c>, as a shell must): <c>crm.contact.upsert</c>, a PUT to the fake
/// CRM of tests/FakeServices with Basic auth, short breaks and quick delayed retries.
/// </summary>
public sealed class DeclaredTypeSystem() : SystemFixture(new SystemSettings
{
    Name = "declared",
    Gateway = DeclaredTypeSettings.Declare,
    Workers = environment =>
    {
        DeclaredTypeSettings.Declare(environment);
        environment["ExternalServices__crm__Auth__Kind"] = "Basic";
        environment["ExternalServices__crm__Auth__Username"] = "gateway";
        environment["ExternalServices__crm__Auth__Password"] = "fake-crm-password";
        environment["Resilience__Dependencies__crm__Retry__MaxRetryAttempts"] = "0";
        environment["Resilience__Dependencies__crm__Breaker__MinimumThroughput"] = "5";
        environment["Resilience__Dependencies__crm__Breaker__BreakDuration"] = "00:00:03";
        environment["Commands__Types__crm__Retry__MaxAttempts"] = "10";
        environment["Commands__Types__crm__Retry__BaseDelay"] = "00:00:00.200";
        environment["Commands__Types__crm__Retry__MaxDelay"] = "00:00:02";
        environment["Commands__Types__crm__Flow__RampStepInterval"] = "00:00:00.500";
        environment["Commands__Types__crm__Flow__DefaultProbeDelay"] = "00:00:03";
    },
});
