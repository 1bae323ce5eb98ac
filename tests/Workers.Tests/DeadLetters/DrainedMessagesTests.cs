using System.Text;
using Messaging.CommandTypes.BuiltIn;
using Messaging.Workers.DeadLetters;
using RabbitMQ.Client;

namespace Messaging.Workers.Tests.DeadLetters;

/// <summary>How a message from a fault queue becomes a dead letter.</summary>
public sealed class DrainedMessagesTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static string Envelope(Guid id, string messageType = "urn:message:Messaging.Contracts.Payments:ChargePayment") =>
        $$$"""
        {"messageId":"{{{id}}}","messageType":["{{{messageType}}}"],
         "headers":{"Messaging-Tenant":"tenant-a","Messaging-Command-Type":"payments.charge","Messaging-Attempt":"3"},
         "message":{"commandId":"{{{id}}}","tenant":"tenant-a","amount":5,"currency":"EUR","customerId":"cus_1"}}
        """;

    [Fact]
    public void AnEnvelopeFromTheErrorQueue_IsAConsumerFault_WithTheCommandAsBody_AndEveryHeader()
    {
        var id = Guid.NewGuid();
        var properties = new BasicProperties
        {
            MessageId = id.ToString(),
            ContentType = "application/vnd.masstransit+json",
            Headers = new Dictionary<string, object?>
            {
                ["MT-Fault-ExceptionType"] = Encoding.UTF8.GetBytes("System.InvalidOperationException"),
                ["MT-Redelivery-Count"] = 0,
            },
        };

        var drained = DrainedMessages.Read(BuiltInCommandTypes.Registry, "payments.charge_error", properties, Encoding.UTF8.GetBytes(Envelope(id)), Now);

        var letter = drained.Letter;
        Assert.Equal(id, drained.Command!.CommandId);
        Assert.Equal(id, letter.CommandId);
        Assert.Equal("tenant-a", letter.Tenant);
        Assert.Equal("payments.charge", letter.Type);
        Assert.Equal("consumer-fault", letter.Source);
        Assert.Equal("System.InvalidOperationException", letter.ExceptionType);
        Assert.Contains("InvalidOperationException", letter.Reason, StringComparison.Ordinal);
        Assert.Equal(3, letter.Attempts);
        Assert.StartsWith("{\"commandId\"", letter.Body, StringComparison.Ordinal);
        Assert.Equal("payments.charge_error", letter.Headers["Messaging-Dead-Letter-Queue"]);
        Assert.Equal("tenant-a", letter.Headers["Messaging-Tenant"]);
        Assert.Equal("0", letter.Headers["MT-Redelivery-Count"]);
        Assert.Equal("application/vnd.masstransit+json", letter.Headers["content_type"]);
        Assert.Equal(Now, letter.LastFailureAt);
    }

    [Fact]
    public void AnEnvelopeOfAnUnknownType_IsPoison_KeptWhole()
    {
        var id = Guid.NewGuid();
        var body = Envelope(id, "urn:message:Other:Thing");

        var drained = DrainedMessages.Read(BuiltInCommandTypes.Registry, "payments.charge_skipped", new BasicProperties(), Encoding.UTF8.GetBytes(body), Now);

        Assert.Null(drained.Command);
        Assert.Equal("poison", drained.Letter.Source);
        Assert.Equal(body, drained.Letter.Body);
        Assert.Equal(0, drained.Letter.Attempts);
    }

    [Fact]
    public void AMessageTheBrokerDeadLettered_IsADeliveryLimitDeadLetter_WithItsDeathHistoryAsJson()
    {
        var id = Guid.NewGuid();
        var properties = new BasicProperties
        {
            Headers = new Dictionary<string, object?>
            {
                ["x-first-death-reason"] = Encoding.UTF8.GetBytes("delivery_limit"),
                ["x-death"] = new List<object?>
                {
                    new Dictionary<string, object?> { ["queue"] = Encoding.UTF8.GetBytes("payments.charge"), ["count"] = 1L },
                },
            },
        };

        var drained = DrainedMessages.Read(BuiltInCommandTypes.Registry, "messaging.dead-letters", properties, Encoding.UTF8.GetBytes(Envelope(id)), Now);

        Assert.Equal("delivery-limit", drained.Letter.Source);
        Assert.Contains("deliveries", drained.Letter.Reason, StringComparison.Ordinal);
        Assert.Equal("""[{"queue":"payments.charge","count":1}]""", drained.Letter.Headers["x-death"]);
        Assert.NotNull(drained.Command);
    }

    [Fact]
    public void ABodyThatIsNotText_IsKeptInBase64()
    {
        byte[] body = [0xC3, 0x28, 0x00, 0x41];

        var drained = DrainedMessages.Read(BuiltInCommandTypes.Registry, "notifications.send_error", new BasicProperties(), body, Now);

        Assert.Equal("base64", drained.Letter.Headers["Messaging-Body-Encoding"]);
        Assert.Equal(body, Convert.FromBase64String(drained.Letter.Body));
        Assert.Equal("poison", drained.Letter.Source);
        Assert.Null(drained.Letter.CommandId);
    }
}
