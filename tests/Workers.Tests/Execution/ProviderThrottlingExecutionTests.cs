using Messaging.Contracts.Payments;
using Messaging.Workers.Tests.ExternalServices;

namespace Messaging.Workers.Tests.Execution;

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
