using Messaging.Contracts.Payments;
using Messaging.Resilience.Pipelines;
using Messaging.Workers.Tests.ExternalServices;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Workers.Tests.Execution;

/// <summary>
/// Delayed retries draw from the provider's retry budget, the one its HTTP retries and failover use:
/// with the budget spent, a failed command is neither lost nor dead-lettered, it waits the longest step.
/// (A class of its own: draining the budget must not slow the other tests' retries.)
/// </summary>
public sealed class RetryBudgetDelayedRetryTests(WorkersHostFixture host) : IClassFixture<WorkersHostFixture>
{
    [Fact]
    public async Task WithTheProvidersRetryBudgetSpent_TheNextAttemptWaitsTheLongestStep()
    {
        var budget = host.Services.GetRequiredService<RetryBudgets>().For("payments");
        while (budget.TryWithdrawRetry())
        {
            // Spend what the floor allows in this window.
        }

        var id = Guid.NewGuid();
        var deadline = DateTimeOffset.UtcNow.AddMinutes(10);
        host.Providers.Answer(ProviderStub.ChargesPath, id, 503, """{"error":"unavailable"}""");
        await host.InsertCommandAsync(id, ChargePayment.TypeName, "tenant-budget", deadline);

        var before = DateTimeOffset.UtcNow;
        await host.SendAsync(new ChargePayment { CommandId = id, Tenant = "tenant-budget", Amount = 3m, Currency = "EUR", CustomerId = "cus_budget" },
            ChargePayment.TypeName, deadline);
        var command = await host.WaitForStatusAsync(id, "Scheduled");

        var row = Assert.Single(await host.OutboxRowsAsync(id));
        // Retry:MaxDelay is one minute in this fixture, against a ten-second base delay.
        Assert.True(row.NotBefore >= before.AddSeconds(59), $"next attempt at {row.NotBefore:O}, {(row.NotBefore - before).TotalSeconds:F1} s after the failure");
        Assert.Equal("2", row.Headers["Messaging-Attempt"]);
        Assert.Equal(1, command.Attempts);
    }
}
