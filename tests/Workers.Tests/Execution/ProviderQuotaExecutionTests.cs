using System.Diagnostics.Metrics;
using Messaging.Contracts.Payments;
using Messaging.Workers.Tests.ExternalServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Messaging.Workers.Tests.Execution;

/// <summary>
/// The provider quota in the executor, against real Redis, RabbitMQ and PostgreSQL: a command over its quota
/// is deferred through the outbox (status <c>Scheduled</c>, error <c>rate_limited</c>, no attempt counted, no
/// provider call) and runs once its permit is due.
/// </summary>
public sealed class ProviderQuotaExecutionTests(TenantQuotaHostFixture host) : IClassFixture<TenantQuotaHostFixture>
{
    private static DateTimeOffset InTenMinutes => DateTimeOffset.UtcNow.AddMinutes(10);

    [Fact]
    public async Task ACommandOverItsTenantsQuota_IsDeferredWithoutAnAttemptOrAProviderCall_AndRunsWhenDue()
    {
        using var deferrals = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), "Messaging.Workers", "messaging.commands.deferred");
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        await host.InsertCommandAsync(first, ChargePayment.TypeName, TenantQuotaHostFixture.Tenant, InTenMinutes);
        await host.InsertCommandAsync(second, ChargePayment.TypeName, TenantQuotaHostFixture.Tenant, InTenMinutes);

        await host.SendAsync(Charge(first), ChargePayment.TypeName, InTenMinutes);
        Assert.Equal(1, (await host.WaitForStatusAsync(first, "Succeeded")).Attempts);

        // The tenant's one permit per window is spent: the second command waits for the next one.
        var before = DateTimeOffset.UtcNow;
        await host.SendAsync(Charge(second), ChargePayment.TypeName, InTenMinutes);
        var deferred = await host.WaitForStatusAsync(second, "Scheduled");
        var after = DateTimeOffset.UtcNow;

        Assert.Equal(0, deferred.Attempts);
        Assert.Equal("rate_limited", deferred.ErrorCode);
        Assert.Null(deferred.FirstFailureAt);
        Assert.Empty(host.Providers.Requests(ProviderStub.ChargesPath, second));
        var row = Assert.Single(await host.OutboxRowsAsync(second));
        Assert.Equal("1", row.Headers["Messaging-Attempt"]);
        Assert.InRange(row.NotBefore, before, after + TenantQuotaHostFixture.Window);
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Name == "CommandRateLimited" && r.Message.Contains(second.ToString(), StringComparison.Ordinal));
        Assert.Contains(deferrals.GetMeasurementSnapshot(), m => Equals(m.Tags["messaging.command.defer_reason"], "rate_limited"));

        // When it is due (the relay would publish it then), the permit is there: it runs as attempt 1.
        await WorkersHostFixture.WaitUntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow >= row.NotBefore), "the deferred command is due");
        Assert.Single(await host.RelayAsync(second));
        var done = await host.WaitForStatusAsync(second, "Succeeded");
        Assert.Equal(1, done.Attempts);
        Assert.Single(host.Providers.Requests(ProviderStub.ChargesPath, second));
    }

    private static ChargePayment Charge(Guid id) => new()
    {
        CommandId = id,
        Tenant = TenantQuotaHostFixture.Tenant,
        Amount = 12m,
        Currency = "EUR",
        CustomerId = "cus_quota",
    };
}
