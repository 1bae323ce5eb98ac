using System.Diagnostics.Metrics;
using Messaging.Contracts.Payments;
using Messaging.Workers.Tests.ExternalServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Messaging.Workers.Tests.Execution;

/// <summary>A Workers host where one tenant may make one payments call per 3 s, and no command waits inline for a permit.</summary>
public sealed class TenantQuotaHostFixture : WorkersHostFixture
{
    public const string Tenant = "tenant-quota";

    public static readonly TimeSpan Window = TimeSpan.FromSeconds(3);

    protected override void Configure(IDictionary<string, string?> configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var key = $"RateLimiting:Providers:payments:Tenants:{Tenant}";
        configuration[$"{key}:PermitLimit"] = "1";
        configuration[$"{key}:Window"] = Window.ToString();
        configuration[$"{key}:Burst"] = "1";
        configuration["RateLimiting:Providers:payments:MaxWait"] = "00:00:00";
    }
}

/// <summary>A Workers host with a generous global payments quota, so that only a provider's 429 can hold calls back.</summary>
public sealed class ThrottledProviderHostFixture : WorkersHostFixture
{
    protected override void Configure(IDictionary<string, string?> configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration["RateLimiting:Providers:payments:Global:PermitLimit"] = "1000";
        configuration["RateLimiting:Providers:payments:Global:Window"] = "00:00:01";
        configuration["RateLimiting:Providers:payments:MaxWait"] = "00:00:00.500";
    }
}

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

/// <summary>A provider's 429 with <c>Retry-After</c> pauses its quota for every worker and every tenant.</summary>
public sealed class ProviderThrottlingExecutionTests(ThrottledProviderHostFixture host) : IClassFixture<ThrottledProviderHostFixture>
{
    private const int RetryAfterSeconds = 30;

    private static DateTimeOffset InTenMinutes => DateTimeOffset.UtcNow.AddMinutes(10);

    [Fact]
    public async Task AProviders429WithRetryAfter_DefersTheNextCommandOfAnotherTenant_WithoutAProviderCall()
    {
        var throttled = Guid.NewGuid();
        var next = Guid.NewGuid();
        host.Providers.AnswerWithRetryAfter(ProviderStub.ChargesPath, throttled, 429, RetryAfterSeconds);
        await host.InsertCommandAsync(throttled, ChargePayment.TypeName, "tenant-throttled", InTenMinutes);
        await host.InsertCommandAsync(next, ChargePayment.TypeName, "tenant-other", InTenMinutes);

        var before = DateTimeOffset.UtcNow;
        await host.SendAsync(Charge(throttled, "tenant-throttled"), ChargePayment.TypeName, InTenMinutes);
        var retried = await host.WaitForStatusAsync(throttled, "Scheduled");
        Assert.Equal("provider_unavailable", retried.ErrorCode);
        var callsBefore = host.Providers.Requests(ProviderStub.ChargesPath).Count;

        await host.SendAsync(Charge(next, "tenant-other"), ChargePayment.TypeName, InTenMinutes);
        var deferred = await host.WaitForStatusAsync(next, "Scheduled");
        var after = DateTimeOffset.UtcNow;

        Assert.Equal(0, deferred.Attempts);
        Assert.Equal("rate_limited", deferred.ErrorCode);
        Assert.Empty(host.Providers.Requests(ProviderStub.ChargesPath, next));
        Assert.Equal(callsBefore, host.Providers.Requests(ProviderStub.ChargesPath).Count);
        var row = Assert.Single(await host.OutboxRowsAsync(next));
        Assert.Equal("1", row.Headers["Messaging-Attempt"]);

        // Due when the provider's pause ends: within Retry-After of the 429, which came after `before`.
        Assert.InRange(row.NotBefore, before, after.AddSeconds(RetryAfterSeconds));
        Assert.True(row.NotBefore > after.AddSeconds(RetryAfterSeconds / 2), $"due at {row.NotBefore:O}, deferred at {after:O}");
    }

    private static ChargePayment Charge(Guid id, string tenant) => new()
    {
        CommandId = id,
        Tenant = tenant,
        Amount = 15m,
        Currency = "EUR",
        CustomerId = "cus_throttled",
    };
}
