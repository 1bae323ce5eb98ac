using Messaging.Contracts.Commands;
using Messaging.Contracts.Notifications;
using Messaging.Contracts.Payments;

namespace Messaging.Contracts.Tests;

public sealed class CommandTypeRegistryTests
{
    private static readonly CommandDescriptor Charge = new("payments.charge", typeof(ChargePayment), "payments.charge", "payments");
    private static readonly CommandDescriptor Notify = new("notifications.send", typeof(SendNotification), "notifications.send", "notifications");

    [Theory]
    [InlineData("payments.charge")]
    [InlineData("Payments.Charge")]
    [InlineData("PAYMENTS.CHARGE")]
    public void TryGet_MatchesNamesCaseInsensitively(string name)
    {
        var registry = new CommandTypeRegistry([Charge, Notify]);

        Assert.True(registry.TryGet(name, out var descriptor));
        Assert.Same(Charge, descriptor);
    }

    [Theory]
    [InlineData("payments.charge", true)]
    [InlineData("Payments.Charge", false)]
    [InlineData("PAYMENTS.CHARGE", false)]
    public void TryGetExact_MatchesOnlyTheLowerCaseName(string name, bool found) =>
        Assert.Equal(found, new CommandTypeRegistry([Charge, Notify]).TryGetExact(name, out _));

    [Theory]
    [InlineData("payments")]
    [InlineData("payments.refund")]
    [InlineData("")]
    [InlineData(null)]
    public void TryGet_UnknownNames_FindNothing(string? name) =>
        Assert.False(new CommandTypeRegistry([Charge, Notify]).TryGet(name, out _));

    [Fact]
    public void Registry_ListsTypesAndTheirProvidersInRegistrationOrder()
    {
        var registry = new CommandTypeRegistry([Charge, Notify]);

        Assert.Equal(["payments.charge", "notifications.send"], registry.All.Select(d => d.TypeName));
        Assert.Equal(["payments", "notifications"], registry.Providers);
        Assert.True(registry.TryGetByMessageType(typeof(SendNotification), out var byType));
        Assert.Same(Notify, byType);
        Assert.True(registry.TryGetByMessageTypeName("Messaging.Contracts.Payments.ChargePayment", out var byName));
        Assert.Same(Charge, byName);
    }

    [Fact]
    public void Registry_TwoNamesDifferingOnlyInCase_AreRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CommandTypeRegistry(
            [Charge, Notify with { TypeName = "payments.charge", QueueName = "other" }]));

        Assert.Contains("'payments.charge' is registered more than once", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Payments.Charge")]
    [InlineData("payments")]
    [InlineData("payments..charge")]
    [InlineData("1payments.charge")]
    [InlineData("payments.charge ")]
    public void Registry_InvalidTypeNames_AreRefusedByName(string name)
    {
        var ex = Assert.Throws<ArgumentException>(() => new CommandTypeRegistry([Charge with { TypeName = name }]));

        Assert.Contains($"'{name}' is not a valid command type name", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Payments")]
    [InlineData("pay_ments")]
    [InlineData("payments@host")]
    [InlineData("")]
    public void Registry_InvalidProviderNames_AreRefused(string provider)
    {
        var ex = Assert.Throws<ArgumentException>(() => new CommandTypeRegistry([Charge with { Provider = provider }]));

        Assert.Contains("is not a valid provider name", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_AMessageTypeThatIsNoCommand_IsRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CommandTypeRegistry([Charge with { MessageType = typeof(string) }]));

        Assert.Contains("does not implement ICommandMessage", ex.Message, StringComparison.Ordinal);
    }
}
