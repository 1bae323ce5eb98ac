using MassTransit;
using MassTransit.Serialization;
using Messaging.CommandTypes.BuiltIn;
using Messaging.CommandTypes;
using Messaging.Contracts.Commands;
using Messaging.Contracts.Notifications;
using Messaging.Contracts.Payments;
using Messaging.Workers.Execution;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Messaging.Workers.Tests.Execution;

/// <summary>What makes a readable message poison: unusable headers, or a command that fails validation.</summary>
public sealed class PoisonChecksTests
{
    private static readonly IServiceProvider Handlers = HandlersOfTheBuiltInTypes();

    // As the executor checks a message: what every command needs, then what its type's handler needs.
    private static string? Problem<TCommand>(TCommand command)
        where TCommand : class, ICommandMessage
    {
        using var scope = Handlers.CreateScope();
        return CommandValidation.Problem(command) ?? scope.ServiceProvider.GetRequiredService<ICommandHandler<TCommand>>().Check(command);
    }

    private static IServiceProvider HandlersOfTheBuiltInTypes()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.AddBuiltInCommandTypes();
        return builder.Services.BuildServiceProvider();
    }

    private static Headers HeadersOf(params (string Name, object Value)[] values)
    {
        var headers = new DictionarySendHeaders();
        foreach (var (name, value) in values)
        {
            headers.Set(name, value);
        }

        return headers;
    }

    private static readonly (string, object)[] Complete =
    [
        ("Messaging-Tenant", "tenant-a"),
        ("Messaging-Command-Type", "payments.charge"),
        ("Messaging-Attempt", "2"),
        ("Messaging-Deadline", "2030-01-01T00:00:00.0000000Z"),
    ];

    [Fact]
    public void Headers_WhenComplete_HaveNoProblem()
    {
        var headers = CommandHeaders.Read(HeadersOf(Complete));

        Assert.Null(headers.Problem("payments.charge", "tenant-a"));
        Assert.Equal(2, headers.Attempt);
    }

    [Theory]
    [InlineData("Messaging-Tenant", null, "Messaging-Tenant")]
    [InlineData("Messaging-Tenant", "tenant-b", "another tenant")]
    [InlineData("Messaging-Command-Type", "notifications.send", "Messaging-Command-Type")]
    [InlineData("Messaging-Attempt", "0", "Messaging-Attempt")]
    [InlineData("Messaging-Attempt", "two", "Messaging-Attempt")]
    [InlineData("Messaging-Deadline", "tomorrow", "Messaging-Deadline")]
    public void Headers_WithAMissingOrUnreadableValue_NameTheHeader(string name, string? value, string named)
    {
        var values = Complete.Where(h => h.Item1 != name).ToList();
        if (value is not null)
        {
            values.Add((name, value));
        }

        var problem = CommandHeaders.Read(HeadersOf([.. values])).Problem("payments.charge", "tenant-a");

        Assert.NotNull(problem);
        Assert.Contains(named, problem, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> InvalidCommands => new()
    {
        { "amount", "-1" },
        { "currency", "eur" },
        { "customerId", " " },
    };

    [Theory]
    [MemberData(nameof(InvalidCommands))]
    public void Validation_OfAChargeWithABadField_NamesIt(string field, string value)
    {
        var charge = new ChargePayment
        {
            CommandId = Guid.NewGuid(),
            Tenant = "tenant-a",
            Amount = field == "amount" ? decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : 1m,
            Currency = field == "currency" ? value : "EUR",
            CustomerId = field == "customerId" ? value : "cus_1",
        };

        var problem = Problem(charge);

        Assert.NotNull(problem);
        Assert.Contains(field == "customerId" ? "customer" : field, problem, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Validation_OfValidCommands_Passes()
    {
        Assert.Null(Problem(new ChargePayment { CommandId = Guid.NewGuid(), Tenant = "t", Amount = 1, Currency = "EUR", CustomerId = "c" }));
        Assert.Null(Problem(new SendNotification
        {
            CommandId = Guid.NewGuid(), Tenant = "t", Channel = "email", To = "a@example.com", Body = "b", FallbackTo = "+4915112345678",
        }));
    }

    [Fact]
    public void Validation_OfANotificationOnAnUnknownChannel_Fails() =>
        Assert.Contains("channel", Problem(new SendNotification
        {
            CommandId = Guid.NewGuid(), Tenant = "t", Channel = "pigeon", To = "x", Body = "b",
        }), StringComparison.Ordinal);
}
