using System.Globalization;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Messaging.Contracts.Payments;
using Messaging.Workers.Tests.ExternalServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Messaging.Workers.Tests.Execution;

/// <summary>Delayed retries through the outbox, and dead letters when they are exhausted (real RabbitMQ and PostgreSQL).</summary>
public sealed class DelayedRetryTests(WorkersHostFixture host) : IClassFixture<WorkersHostFixture>
{
    private const string Tenant = "tenant-retry";

    private static DateTimeOffset InTenMinutes => DateTimeOffset.UtcNow.AddMinutes(10);

    private static ChargePayment Charge(Guid id) => new()
    {
        CommandId = id,
        Tenant = Tenant,
        Amount = 40m,
        Currency = "EUR",
        CustomerId = "cus_retry",
    };

    [Fact]
    public async Task ChargePayment_WhenAnAttemptFailsTransiently_SchedulesTheNextAttemptInTheOutbox_WithBackoff()
    {
        var id = Guid.NewGuid();
        var deadline = InTenMinutes;
        host.Providers.Answer(ProviderStub.ChargesPath, id, 503, """{"error":"unavailable"}""");
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, deadline);

        var before = DateTimeOffset.UtcNow;
        await host.SendAsync(Charge(id), ChargePayment.TypeName, deadline);
        var command = await host.WaitForStatusAsync(id, "Scheduled");
        var after = DateTimeOffset.UtcNow;

        var row = Assert.Single(await host.OutboxRowsAsync(id));
        Assert.Equal("command", row.Kind);
        Assert.Equal(ChargePayment.TypeName, row.Destination);
        Assert.Equal(typeof(ChargePayment).FullName, row.MessageType);
        Assert.Equal("2", row.Headers["Messaging-Attempt"]);
        Assert.Equal(Tenant, row.Headers["Messaging-Tenant"]);
        Assert.Equal(ChargePayment.TypeName, row.Headers["Messaging-Command-Type"]);
        Assert.Equal(deadline.UtcDateTime.ToString("O"), row.Headers["Messaging-Deadline"]);
        Assert.InRange(DateTimeOffset.Parse(row.Headers["Messaging-First-Failure"], CultureInfo.InvariantCulture), before, after);
        // Backoff with jitter: between half the base delay and the base delay after the failure.
        Assert.InRange(row.NotBefore, before + (WorkersHostFixture.BaseDelay / 2), after + WorkersHostFixture.BaseDelay);
        using var body = JsonDocument.Parse(row.Body);
        Assert.Equal(id, body.RootElement.GetProperty("commandId").GetGuid());
        Assert.Equal(40m, body.RootElement.GetProperty("amount").GetDecimal());

        Assert.Equal(1, command.Attempts);
        Assert.Equal("provider_unavailable", command.ErrorCode);
        Assert.NotNull(command.FirstFailureAt);
        Assert.InRange(command.FirstFailureAt!.Value, before.AddSeconds(-1), after.AddSeconds(1));
        Assert.Equal(2, host.Providers.Requests(ProviderStub.ChargesPath, id).Count);
    }

    [Fact]
    public async Task ChargePayment_WhenTheProviderSaysRetryAfter_SchedulesTheNextAttemptThen()
    {
        var id = Guid.NewGuid();
        host.Providers.AnswerWithRetryAfter(ProviderStub.ChargesPath, id, 429, retryAfterSeconds: 7);
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InTenMinutes);

        var before = DateTimeOffset.UtcNow;
        await host.SendAsync(Charge(id), ChargePayment.TypeName, InTenMinutes);
        await host.WaitForStatusAsync(id, "Scheduled");
        var after = DateTimeOffset.UtcNow;

        var row = Assert.Single(await host.OutboxRowsAsync(id));
        Assert.InRange(row.NotBefore, before.AddSeconds(7), after.AddSeconds(7));
        Assert.Equal("2", row.Headers["Messaging-Attempt"]);
    }

    [Fact]
    public async Task ChargePayment_WhenEveryAttemptFails_IsDeadLetteredAfterExactlyMaxAttempts_AndPaymentFailedIsPublished()
    {
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        using var deadLettered = new MetricCollector<long>(meters, "Messaging.Workers", "messaging.commands.dead_lettered");
        using var retries = new MetricCollector<long>(meters, "Messaging.Workers", "messaging.commands.retries_scheduled");
        var id = Guid.NewGuid();
        host.Providers.Answer(ProviderStub.ChargesPath, id, 503, """{"error":"unavailable"}""");
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InTenMinutes);

        await host.SendAsync(Charge(id), ChargePayment.TypeName, InTenMinutes);
        var firstFailure = (await host.WaitForStatusAsync(id, "Scheduled")).FirstFailureAt;
        for (var attempt = 2; attempt <= WorkersHostFixture.MaxAttempts; attempt++)
        {
            var relayed = Assert.Single(await host.RelayAsync(id));
            Assert.Equal(attempt.ToString(System.Globalization.CultureInfo.InvariantCulture), relayed.Headers["Messaging-Attempt"]);
            if (attempt < WorkersHostFixture.MaxAttempts)
            {
                await WorkersHostFixture.WaitUntilAsync(async () => (await host.ReadCommandAsync(id))!.Attempts == attempt
                    && (await host.ReadCommandAsync(id))!.Status == "Scheduled", $"attempt {attempt} failed and the next is scheduled");
            }
        }

        var command = await host.WaitForStatusAsync(id, "DeadLettered");

        Assert.Equal(WorkersHostFixture.MaxAttempts, command.Attempts);
        Assert.Equal(firstFailure, command.FirstFailureAt);
        Assert.Equal("dead_lettered", command.ErrorCode);
        Assert.Equal(WorkersHostFixture.MaxAttempts * 2, host.Providers.Requests(ProviderStub.ChargesPath, id).Count);
        var letter = Assert.Single(await host.DeadLettersAsync("command_id = @id", ("id", id)));
        Assert.Equal("retries-exhausted", letter.Source);
        Assert.Equal(WorkersHostFixture.MaxAttempts, letter.Attempts);
        Assert.Equal(Tenant, letter.Tenant);
        Assert.Equal(ChargePayment.TypeName, letter.Type);
        Assert.Equal(firstFailure, letter.FirstFailureAt);
        Assert.Contains("503", letter.Reason, StringComparison.Ordinal);
        Assert.Equal(command.ErrorMessage, letter.Reason);
        using (var stored = JsonDocument.Parse(letter.Body))
        {
            Assert.Equal(id, stored.RootElement.GetProperty("commandId").GetGuid());
        }

        var rows = await host.OutboxRowsAsync(id);
        Assert.Equal(WorkersHostFixture.MaxAttempts - 1, rows.Count(r => r.Kind == "command"));
        var paymentFailed = Assert.Single(rows, r => r.Kind == "event");
        Assert.Equal("Messaging.Contracts.Events.PaymentFailed", paymentFailed.MessageType);
        Assert.Equal(Tenant, paymentFailed.Headers["Messaging-Tenant"]);
        Assert.Equal("client-1", paymentFailed.Headers["Messaging-Client"]);
        using var body = JsonDocument.Parse(paymentFailed.Body);
        Assert.Equal(id, body.RootElement.GetProperty("commandId").GetGuid());
        Assert.Equal(Tenant, body.RootElement.GetProperty("tenant").GetString());
        Assert.Equal(40m, body.RootElement.GetProperty("amount").GetDecimal());
        Assert.Equal("cus_retry", body.RootElement.GetProperty("customerId").GetString());
        Assert.Equal(letter.Reason, body.RootElement.GetProperty("reason").GetString());

        Assert.Contains(deadLettered.GetMeasurementSnapshot(), m => m.Tags["messaging.dead_letter.source"] as string == "retries-exhausted"
            && m.Tags["messaging.command.type"] as string == ChargePayment.TypeName);
        Assert.True(retries.GetMeasurementSnapshot().Count >= WorkersHostFixture.MaxAttempts - 1);
    }

    [Fact]
    public async Task ALaterRetry_KeepsTheTimeOfTheFirstFailure()
    {
        var id = Guid.NewGuid();
        var firstFailure = DateTimeOffset.UtcNow.AddMinutes(-20);
        host.Providers.Answer(ProviderStub.ChargesPath, id, 503, """{"error":"unavailable"}""");
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InTenMinutes);

        await host.SendWithHeadersAsync(Charge(id), ChargePayment.TypeName, RetryHeaders(attempt: 2, firstFailure));
        await host.WaitForStatusAsync(id, "Scheduled");

        var row = Assert.Single(await host.OutboxRowsAsync(id));
        Assert.Equal(("3", firstFailure.UtcDateTime.ToString("O")), (row.Headers["Messaging-Attempt"], row.Headers["Messaging-First-Failure"]));
    }

    [Fact]
    public async Task AFailureWhoseNextAttemptWouldComeAfterTheRetryPeriod_IsDeadLettered_ThoughAttemptsAreLeft()
    {
        var id = Guid.NewGuid();
        host.Providers.Answer(ProviderStub.ChargesPath, id, 503, """{"error":"unavailable"}""");
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InTenMinutes);

        await host.SendWithHeadersAsync(Charge(id), ChargePayment.TypeName,
            RetryHeaders(attempt: 2, DateTimeOffset.UtcNow - WorkersHostFixture.RetryPeriod + TimeSpan.FromSeconds(1)));
        var command = await host.WaitForStatusAsync(id, "DeadLettered");

        Assert.Equal(2, command.Attempts);
        Assert.True(WorkersHostFixture.MaxAttempts > 2);
        var letter = Assert.Single(await host.DeadLettersAsync("command_id = @id", ("id", id)));
        Assert.Equal("retries-exhausted", letter.Source);
        Assert.Contains($"failed for {WorkersHostFixture.RetryPeriod}", letter.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(await host.OutboxRowsAsync(id), r => r.Kind == "command");
    }

    private static Dictionary<string, object?> RetryHeaders(int attempt, DateTimeOffset firstFailure) => new()
    {
        ["Messaging-Tenant"] = Tenant,
        ["Messaging-Client"] = "client-1",
        ["Messaging-Command-Type"] = ChargePayment.TypeName,
        ["Messaging-Attempt"] = attempt,
        ["Messaging-Deadline"] = InTenMinutes.UtcDateTime.ToString("O"),
        ["Messaging-First-Failure"] = firstFailure.UtcDateTime.ToString("O"),
    };

    [Fact]
    public async Task ChargePayment_WhenTheProviderAnswersOutsideItsContract_IsDeadLetteredAtOnce()
    {
        var id = Guid.NewGuid();
        host.Providers.Answer(ProviderStub.ChargesPath, id, 404, """{"error":"no_such_route"}""");
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InTenMinutes);

        await host.SendAsync(Charge(id), ChargePayment.TypeName, InTenMinutes);
        var command = await host.WaitForStatusAsync(id, "DeadLettered");

        Assert.Equal(1, command.Attempts);
        var letter = Assert.Single(await host.DeadLettersAsync("command_id = @id", ("id", id)));
        Assert.Equal("consumer-fault", letter.Source);
        Assert.Contains("404", letter.Reason, StringComparison.Ordinal);
        Assert.Single(host.Providers.Requests(ProviderStub.ChargesPath, id));
        Assert.DoesNotContain(await host.OutboxRowsAsync(id), r => r.Kind == "command");
    }

    [Fact]
    public async Task AStaleDuplicateOfAnEarlierAttempt_IsAcknowledgedWithoutAProviderCall()
    {
        var id = Guid.NewGuid();
        host.Providers.Answer(ProviderStub.ChargesPath, id, 503, """{"error":"unavailable"}""");
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InTenMinutes);
        await host.SendAsync(Charge(id), ChargePayment.TypeName, InTenMinutes);
        await host.WaitForStatusAsync(id, "Scheduled");
        await host.Consumed.WaitForAsync(id, 1);

        await host.SendAsync(Charge(id), ChargePayment.TypeName, InTenMinutes, attempt: 1);
        await host.Consumed.WaitForAsync(id, 2);

        Assert.Equal(2, host.Providers.Requests(ProviderStub.ChargesPath, id).Count);
        var command = await host.ReadCommandAsync(id);
        Assert.Equal("Scheduled", command!.Status);
        Assert.Equal(1, command.Attempts);
        Assert.Single(await host.OutboxRowsAsync(id));
    }
}
