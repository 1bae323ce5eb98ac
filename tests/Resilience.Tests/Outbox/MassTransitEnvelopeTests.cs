using System.Buffers;
using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;
using Messaging.Contracts.Payments;
using Messaging.Resilience.Outbox;
using MessageHeaders = Messaging.Contracts.MessageHeaders;

namespace Messaging.Resilience.Tests.Outbox;

/// <summary>The relay's envelope, read back by MassTransit's own envelope deserializer (no broker needed).</summary>
public sealed class MassTransitEnvelopeTests
{
    private static readonly Uri Bus = new("rabbitmq://127.0.0.1/vhost/bus_endpoint");

    [Fact]
    public void Envelope_WithoutTheHostBlock_IsReadByMassTransitsDeserializer_WithItsIdsHeadersAndMessage()
    {
        var id = Guid.NewGuid();
        var sentTime = new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        var headers = MassTransitEnvelope.ReadHeaders(
            """{"Messaging-Tenant":"tenant-a","Messaging-Attempt":"1","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}"""u8,
            out var traceParent, out _);
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new ChargePayment { CommandId = id, Tenant = "tenant-a", Amount = 10m, Currency = "EUR", CustomerId = "cus_1" },
            new JsonSerializerOptions(JsonSerializerDefaults.Web));

        var envelope = Write(id, headers, body, sentTime);

        using (var document = JsonDocument.Parse(envelope))
        {
            Assert.False(document.RootElement.TryGetProperty("host", out _));
        }

        var context = SystemTextJsonMessageSerializer.Instance.Deserialize(new BytesMessageBody(envelope), EmptyHeaders.Instance, null);
        Assert.Equal(id, context.MessageId);
        Assert.Equal(id, context.CorrelationId);
        Assert.Equal(sentTime, context.SentTime);
        Assert.Equal(new Uri(Bus, "./" + ChargePayment.TypeName), context.DestinationAddress);
        Assert.Equal("tenant-a", context.Headers.Get<string>(MessageHeaders.Tenant));
        Assert.Equal("1", context.Headers.Get<string>(MessageHeaders.Attempt));
        Assert.NotNull(traceParent);
        Assert.False(context.Headers.TryGetHeader(MessageHeaders.TraceParent, out _));
        Assert.True(context.IsSupportedMessageType<ChargePayment>());
        Assert.True(context.TryGetMessage<ChargePayment>(out var message));
        Assert.Equal(id, message!.CommandId);
        Assert.Equal("cus_1", message.CustomerId);
        Assert.Equal(10m, message.Amount);
        Assert.NotNull(context.Host);
    }

    private static byte[] Write(Guid id, Dictionary<string, object?> headers, byte[] body, DateTime sentTime)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            new MassTransitEnvelope(Bus).Write(writer, id, typeof(ChargePayment).FullName!, ChargePayment.TypeName, body, headers, sentTime);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
