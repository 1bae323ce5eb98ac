using System.Text.Json;
using Messaging.Contracts.Callbacks;
using Messaging.Contracts.Notifications;
using Messaging.Contracts.Payments;
using Messaging.Resilience.Breakers;
using Messaging.Resilience;
using Messaging.Store.Bus;
using Messaging.Workers.Tests.ExternalServices;
using Microsoft.Extensions.DependencyInjection;
using Polly.Registry;
using RabbitMQ.Client;

namespace Messaging.Workers.Tests.Execution;

/// <summary>The Workers host against real RabbitMQ and PostgreSQL, with WireMock providers.</summary>
public sealed class CommandExecutionTests(WorkersHostFixture host) : IClassFixture<WorkersHostFixture>
{
    private const string Tenant = "tenant-a";

    private static ChargePayment Charge(Guid id) => new()
    {
        CommandId = id,
        Tenant = Tenant,
        Amount = 25m,
        Currency = "EUR",
        CustomerId = "cus_7",
        Description = "Order 7",
    };

    private static DateTimeOffset InAMinute => DateTimeOffset.UtcNow.AddMinutes(1);

    [Fact]
    public async Task ChargePayment_WhenProviderCreatesCharge_EndsSucceededWithResult_AndNoInboxRowBesideIt()
    {
        var id = Guid.NewGuid();
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InAMinute);

        await host.SendAsync(Charge(id), ChargePayment.TypeName, InAMinute);
        var row = await host.WaitForStatusAsync(id, "Succeeded");

        using var result = JsonDocument.Parse(row.ResultJson!);
        Assert.Equal($"ch_{id}", result.RootElement.GetProperty("providerId").GetString());
        Assert.Equal("succeeded", result.RootElement.GetProperty("status").GetString());
        Assert.Equal(1, row.Attempts);
        Assert.False(row.InInbox);
        var call = Assert.Single(host.Providers.Requests(ProviderStub.ChargesPath, id));
        Assert.Equal(id.ToString(), ProviderStub.Header(call, "Idempotency-Key"));
        Assert.StartsWith("Bearer ", ProviderStub.Header(call, "Authorization"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChargePayment_DeliveredTwice_CallsProviderOnceAndAcksTheDuplicate()
    {
        var id = Guid.NewGuid();
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InAMinute);
        await host.SendAsync(Charge(id), ChargePayment.TypeName, InAMinute);
        await host.WaitForStatusAsync(id, "Succeeded");
        await host.Consumed.WaitForAsync(id, 1);

        await host.SendAsync(Charge(id), ChargePayment.TypeName, InAMinute);
        await host.Consumed.WaitForAsync(id, 2);

        Assert.Single(host.Providers.Requests(ProviderStub.ChargesPath, id));
        var row = await host.ReadCommandAsync(id);
        Assert.Equal("Succeeded", row!.Status);
        Assert.Equal(1, row.Attempts);
    }

    [Fact]
    public async Task ChargePayment_PastItsDeadline_EndsExpiredWithoutProviderCall()
    {
        var id = Guid.NewGuid();
        var past = DateTimeOffset.UtcNow.AddSeconds(-5);
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, past);

        await host.SendAsync(Charge(id), ChargePayment.TypeName, past);
        var row = await host.WaitForStatusAsync(id, "Expired");

        Assert.Equal("deadline_exceeded", row.ErrorCode);
        Assert.Equal(0, row.Attempts);
        Assert.Empty(host.Providers.Requests(ProviderStub.ChargesPath, id));
    }

    [Fact]
    public async Task ChargePayment_WithPastDeadlineInHeaderOnly_EndsExpired()
    {
        var id = Guid.NewGuid();
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, deadline: null);

        await host.SendAsync(Charge(id), ChargePayment.TypeName, DateTimeOffset.UtcNow.AddSeconds(-1));

        Assert.Equal("deadline_exceeded", (await host.WaitForStatusAsync(id, "Expired")).ErrorCode);
        Assert.Empty(host.Providers.Requests(ProviderStub.ChargesPath, id));
    }

    [Fact]
    public async Task ChargePayment_WhenDeadlinePassesDuringTheCall_EndsExpired()
    {
        var id = Guid.NewGuid();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(5);
        host.Providers.AnswerSlowly(ProviderStub.ChargesPath, id, TimeSpan.FromSeconds(30));
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, deadline);

        await host.SendAsync(Charge(id), ChargePayment.TypeName, deadline);
        var row = await host.WaitForStatusAsync(id, "Expired");

        Assert.Equal("deadline_exceeded", row.ErrorCode);
        Assert.Equal(1, row.Attempts); // it was running when the deadline cancelled the call
        Assert.Null(row.ResultJson);
    }

    [Fact]
    public async Task ChargePayment_WithOneSecondDeadlineAndAProviderTakingFiveSeconds_EndsExpired()
    {
        // The provider attempt timeout here is 20 s: only the deadline in the resilience context ends the call.
        var id = Guid.NewGuid();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(1);
        host.Providers.AnswerSlowly(ProviderStub.ChargesPath, id, TimeSpan.FromSeconds(5));
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, deadline);

        await host.SendAsync(Charge(id), ChargePayment.TypeName, deadline);
        var row = await host.WaitForStatusAsync(id, "Expired");

        Assert.Equal("deadline_exceeded", row.ErrorCode);
        Assert.Null(row.ResultJson);
    }

    [Fact]
    public async Task ChargePayment_WhilePostgresBreakerIsIsolated_StaysInTheQueueWithoutProviderCall_AndRunsAfterReset()
    {
        var id = Guid.NewGuid();
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InAMinute);
        var breakers = host.Services.GetRequiredService<BreakerRegistry>();
        host.Services.GetRequiredService<ResiliencePipelineProvider<string>>().GetPipeline(DependencyNames.Postgres);

        Assert.True(await breakers.IsolateAsync(DependencyNames.Postgres, TestContext.Current.CancellationToken));
        try
        {
            // Both endpoints depend on PostgreSQL: they pause and stop taking messages.
            await host.WaitForEndpointAsync(ChargePayment.TypeName, EndpointFlowState.Paused);
            await WorkersHostFixture.WaitUntilAsync(async () => (await host.QueueAsync(ChargePayment.TypeName)).Consumers == 0, "the consumer is cancelled");
            await host.SendAsync(Charge(id), ChargePayment.TypeName, InAMinute);

            var (messages, consumers) = await host.QueueAsync(ChargePayment.TypeName);
            Assert.Equal(1u, messages);
            Assert.Equal(0u, consumers);
            Assert.Empty(host.Providers.Requests(ProviderStub.ChargesPath, id));
            Assert.Equal("Dispatched", (await host.ReadCommandAsync(id))!.Status);
        }
        finally
        {
            await breakers.ResetAsync(DependencyNames.Postgres, TestContext.Current.CancellationToken);
        }

        var row = await host.WaitForStatusAsync(id, "Succeeded");
        Assert.Equal(1, row.Attempts);
        Assert.Single(host.Providers.Requests(ProviderStub.ChargesPath, id));
    }

    [Fact]
    public async Task ChargePayment_WhenProviderDeclines_EndsFailedWithErrorAndInboxRow()
    {
        var id = Guid.NewGuid();
        host.Providers.Answer(ProviderStub.ChargesPath, id, 402, """{"error":"card_declined"}""");
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InAMinute);

        await host.SendAsync(Charge(id), ChargePayment.TypeName, InAMinute);
        var row = await host.WaitForStatusAsync(id, "Failed");

        Assert.Equal("card_declined", row.ErrorCode);
        Assert.False(string.IsNullOrWhiteSpace(row.ErrorMessage));
        Assert.Null(row.ResultJson);
        Assert.Single(host.Providers.Requests(ProviderStub.ChargesPath, id));
    }

    [Fact]
    public async Task ChargePayment_WhenProviderFailsTransiently_IsRetriedThroughTheOutboxAndSucceeds()
    {
        var id = Guid.NewGuid();
        // Each attempt tries both payments endpoints (on the same stub) once; the first attempt sees only 503s.
        host.Providers.AnswerInTurn(ProviderStub.ChargesPath, id, 503, 503);
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InAMinute);

        await host.SendAsync(Charge(id), ChargePayment.TypeName, InAMinute);
        await host.WaitForStatusAsync(id, "Scheduled");
        var relayed = Assert.Single(await host.RelayAsync(id));
        var row = await host.WaitForStatusAsync(id, "Succeeded");

        Assert.Equal("2", relayed.Headers["Messaging-Attempt"]);
        Assert.Equal(2, row.Attempts);
        Assert.Equal(3, host.Providers.Requests(ProviderStub.ChargesPath, id).Count);
        Assert.Null(row.ErrorCode);
    }

    [Fact]
    public async Task ChargePayment_ForAlreadyTerminalCommand_IsAckedWithoutProviderCall()
    {
        var id = Guid.NewGuid();
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InAMinute, status: "Failed");

        await host.SendAsync(Charge(id), ChargePayment.TypeName, InAMinute);
        await host.Consumed.WaitForAsync(id, 1);

        Assert.Empty(host.Providers.Requests(ProviderStub.ChargesPath, id));
        Assert.Equal("Failed", (await host.ReadCommandAsync(id))!.Status);
    }

    [Theory]
    [InlineData(1)] // a first delivery
    [InlineData(2)] // a delayed retry whose command was cancelled while it waited
    public async Task ChargePayment_ForACancelledCommand_IsAckedWithoutProviderCall_AndStaysCancelled(int attempt)
    {
        var id = Guid.NewGuid();
        await host.InsertCommandAsync(id, ChargePayment.TypeName, Tenant, InAMinute, status: "Cancelled");

        await host.SendAsync(Charge(id), ChargePayment.TypeName, InAMinute, attempt: attempt);
        await host.Consumed.WaitForAsync(id, 1);

        Assert.Empty(host.Providers.Requests(ProviderStub.ChargesPath, id));
        var row = (await host.ReadCommandAsync(id))!;
        Assert.Equal(("Cancelled", 0), (row.Status, row.Attempts));
    }

    [Fact]
    public async Task Message_ForUnknownCommand_IsAckedWithoutProviderCall()
    {
        var id = Guid.NewGuid();

        await host.SendAsync(Charge(id), ChargePayment.TypeName, InAMinute);
        await host.Consumed.WaitForAsync(id, 1);

        Assert.Empty(host.Providers.Requests(ProviderStub.ChargesPath, id));
        Assert.Null(await host.ReadCommandAsync(id));
    }

    [Fact]
    public async Task Message_ForAnotherTenantsCommand_IsNotExecuted()
    {
        var id = Guid.NewGuid();
        await host.InsertCommandAsync(id, ChargePayment.TypeName, "tenant-b", InAMinute);

        await host.SendAsync(Charge(id), ChargePayment.TypeName, InAMinute);
        await host.Consumed.WaitForAsync(id, 1);

        Assert.Empty(host.Providers.Requests(ProviderStub.ChargesPath, id));
        Assert.Equal("Dispatched", (await host.ReadCommandAsync(id))!.Status);
    }

    [Fact]
    public async Task SendNotification_WhenProviderAccepts_EndsSucceededWithProviderId()
    {
        var id = Guid.NewGuid();
        await host.InsertCommandAsync(id, SendNotification.TypeName, Tenant, InAMinute);
        var message = new SendNotification { CommandId = id, Tenant = Tenant, Channel = "sms", To = "+15550100", Body = "Code 1234" };

        await host.SendAsync(message, SendNotification.TypeName, InAMinute);
        var row = await host.WaitForStatusAsync(id, "Succeeded");

        using var result = JsonDocument.Parse(row.ResultJson!);
        Assert.Equal($"msg_{id}", result.RootElement.GetProperty("providerId").GetString());
        var call = Assert.Single(host.Providers.Requests(ProviderStub.MessagesPath, id));
        Assert.Equal($"Bearer {ProviderStub.ApiKey}", ProviderStub.Header(call, "Authorization"));
    }

    [Fact]
    public async Task SendNotification_WhenProviderRejects_EndsFailed()
    {
        var id = Guid.NewGuid();
        host.Providers.Answer(ProviderStub.MessagesPath, id, 400, """{"error":"invalid_recipient"}""");
        await host.InsertCommandAsync(id, SendNotification.TypeName, Tenant, InAMinute);
        var message = new SendNotification { CommandId = id, Tenant = Tenant, Channel = "sms", To = "nope", Body = "Code 1234" };

        await host.SendAsync(message, SendNotification.TypeName, InAMinute);

        Assert.Equal("invalid_recipient", (await host.WaitForStatusAsync(id, "Failed")).ErrorCode);
    }

    [Fact]
    public async Task CommandQueues_DeclaredByTheWorkers_MatchTheRelaysTopology()
    {
        var uri = new Uri(host.RabbitMqConnectionString);
        var factory = new ConnectionFactory { Uri = uri };
        await using var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);

        // Redeclaring with other arguments or flags fails with PRECONDITION_FAILED.
        await CommandTopology.DeclareAsync(channel, Messaging.CommandTypes.BuiltIn.BuiltInCommandTypes.Registry, quorumInitialGroupSize: null, TestContext.Current.CancellationToken);

        var queue = await channel.QueueDeclarePassiveAsync(ChargePayment.TypeName, TestContext.Current.CancellationToken);
        Assert.Equal(1u, queue.ConsumerCount);
    }

    [Fact]
    public async Task CallbackDeliveryQueue_IsDeclaredAndConsumedByTheWorkers()
    {
        var factory = new ConnectionFactory { Uri = new Uri(host.RabbitMqConnectionString) };
        await using var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);

        // Passive declarations fail with NOT_FOUND (closing the channel) when the queue or exchange is missing.
        await channel.ExchangeDeclarePassiveAsync(CallbackEventTypes.DeliveryTypeName, TestContext.Current.CancellationToken);
        var queue = await channel.QueueDeclarePassiveAsync(CallbackEventTypes.DeliveryTypeName, TestContext.Current.CancellationToken);

        Assert.Equal(1u, queue.ConsumerCount);
    }
}
