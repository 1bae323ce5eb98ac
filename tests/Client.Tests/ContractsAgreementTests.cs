using System.Text.Json;

namespace Messaging.Client.Tests;

/// <summary>The client keeps its own copies of the HTTP API's shapes (it does not ship the bus contracts): they must agree.</summary>
public sealed class ContractsAgreementTests
{
    [Fact]
    public void ClientStatuses_AreTheContractStatuses_PlusUnknown()
    {
        var contract = Enum.GetNames<Contracts.Commands.CommandStatus>();
        var client = Enum.GetNames<CommandStatus>().Where(name => name != nameof(CommandStatus.Unknown));

        Assert.Equal(contract.Order(StringComparer.Ordinal), client.Order(StringComparer.Ordinal));
        foreach (var name in contract)
        {
            Assert.Equal(
                Contracts.Commands.CommandStatuses.IsTerminal(Enum.Parse<Contracts.Commands.CommandStatus>(name)),
                Enum.Parse<CommandStatus>(name).IsTerminal());
        }
    }

    [Fact]
    public void RequestTypes_UseTheContractTypeNames_AndTheApiFieldNames()
    {
        Assert.Equal(Contracts.Payments.ChargePayment.TypeName, PaymentsCharge.CommandType);
        Assert.Equal(Contracts.Notifications.SendNotification.TypeName, NotificationsSend.CommandType);

        var charge = JsonSerializer.SerializeToElement(new PaymentsCharge(1.5m, "EUR", "cus_1"), GatewayResponses.Json);
        var notification = JsonSerializer.SerializeToElement(new NotificationsSend("email", "a@example.com", "Hi", "Subject"), GatewayResponses.Json);

        Assert.Equal(["amount", "currency", "customerId"], charge.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["channel", "to", "body", "subject"], notification.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void UnknownStatus_FromANewerGateway_ReadsAsUnknown()
    {
        var info = JsonSerializer.Deserialize<CommandInfo>("""{"id":"0199a3c0-0000-7000-8000-000000000001","type":"payments.charge","status":"Parked"}""", GatewayResponses.Json)!;

        Assert.Equal(CommandStatus.Unknown, info.Status);
        Assert.False(info.IsTerminal);
    }

    [Fact]
    public void FallbackFields_OfTheGatewaysAnswers_AreRead()
    {
        var accepted = JsonSerializer.Deserialize<CommandAccepted>(
            """{"id":"0199a3c0-0000-7000-8000-000000000001","type":"payments.charge","status":"Accepted","statusUrl":"/api/commands/0199a3c0-0000-7000-8000-000000000001","acceptedVia":"direct"}""",
            GatewayResponses.Json)!;
        var cached = JsonSerializer.Deserialize<CommandInfo>(
            """{"id":"0199a3c0-0000-7000-8000-000000000001","type":"payments.charge","status":"Dispatched","stale":true}""", GatewayResponses.Json)!;
        var current = JsonSerializer.Deserialize<CommandInfo>(
            """{"id":"0199a3c0-0000-7000-8000-000000000001","type":"payments.charge","status":"Dispatched"}""", GatewayResponses.Json)!;

        Assert.Equal("direct", accepted.AcceptedVia);
        Assert.True(cached.Stale);
        Assert.False(current.Stale);
    }
}
