using Messaging.Store.Bus;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;

namespace Messaging.Store.Tests.Bus;

public sealed class RabbitMqBrokerTests
{
    private static IConfiguration Configuration(string? amqp, params (string Key, string Value)[] values)
    {
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:RabbitMq"] = amqp };
        foreach (var (key, value) in values)
        {
            settings[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    [Fact]
    public void WithoutHosts_TheUrisHostIsTheOnlyNode()
    {
        var broker = RabbitMqBroker.FromConfiguration(Configuration("amqp://app:secret@rabbit.internal:5673/orders"));

        var endpoint = Assert.Single(broker.Endpoints);
        Assert.Equal(("rabbit.internal", 5673, false), (endpoint.HostName, endpoint.Port, endpoint.Ssl.Enabled));
        Assert.Equal(["rabbit.internal:5673"], broker.Nodes);
        Assert.Null(broker.QuorumInitialGroupSize);
    }

    [Fact]
    public void WithHosts_TheNodesAreTheHostsInOrder_AndTheUriStillGivesCredentialsAndVirtualHost()
    {
        var broker = RabbitMqBroker.FromConfiguration(Configuration("amqp://app:secret@ignored:5672/orders",
            ("RabbitMq:Hosts:0", "node-a:5672"), ("RabbitMq:Hosts:1", "node-b:5673"), ("RabbitMq:Hosts:2", "node-c")));

        Assert.Equal(["node-a:5672", "node-b:5673", "node-c:5672"], broker.Nodes);
        var factory = broker.CreateConnectionFactory("test");
        Assert.Equal(("app", "secret", "orders", "test"), (factory.UserName, factory.Password, factory.VirtualHost, factory.ClientProvidedName));
    }

    [Fact]
    public void WithAmqps_EveryNodeUsesTls_CheckedAgainstTheUrisHostAsMassTransitChecksIt_OnTheTlsPortByDefault()
    {
        var broker = RabbitMqBroker.FromConfiguration(Configuration("amqps://app:secret@rabbit.example.com/",
            ("RabbitMq:Hosts:0", "node-a"), ("RabbitMq:Hosts:1", "node-b:5999")));

        Assert.True(broker.UsesTls);
        Assert.All(broker.Endpoints, e => Assert.True(e.Ssl.Enabled));
        Assert.Equal(["rabbit.example.com", "rabbit.example.com"], broker.Endpoints.Select(e => e.Ssl.ServerName));
        Assert.Equal(["node-a:5671", "node-b:5999"], broker.Nodes);
    }

    [Fact]
    public void AnIpv6Node_KeepsItsBracketsForMassTransit()
    {
        var broker = RabbitMqBroker.FromConfiguration(Configuration("amqp://guest:guest@localhost:5672/", ("RabbitMq:Hosts:0", "[::1]:5673")));

        Assert.Equal("::1", Assert.Single(broker.Endpoints).HostName);
        Assert.Equal(["[::1]:5673"], broker.Nodes);
    }

    [Theory]
    [InlineData("node-a:notaport")]
    [InlineData("user:pw@node-a:5672")]
    [InlineData("node-a:5672/vhost")]
    [InlineData("amqp://node-a:5672")]
    [InlineData(" ")]
    public void AnInvalidHost_FailsNamingItsKey(string host)
    {
        var configuration = Configuration("amqp://guest:guest@localhost:5672/", ("RabbitMq:Hosts:0", "node-a:5672"), ("RabbitMq:Hosts:1", host));

        var error = Assert.Throws<InvalidOperationException>(() => RabbitMqBroker.FromConfiguration(configuration));

        Assert.Contains("RabbitMq:Hosts:1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pw@", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("http://localhost:5672/")]
    [InlineData("not a uri")]
    public void AMissingOrInvalidUri_FailsNamingTheConnectionString(string? amqp)
    {
        var error = Assert.Throws<InvalidOperationException>(() => RabbitMqBroker.FromConfiguration(Configuration(amqp)));

        Assert.Contains("ConnectionStrings:RabbitMq", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("three")]
    public void AQuorumInitialGroupSizeBelowOne_FailsNamingTheKey(string size)
    {
        var configuration = Configuration("amqp://guest:guest@localhost:5672/", ("RabbitMq:QuorumInitialGroupSize", size));

        var error = Assert.Throws<InvalidOperationException>(() => RabbitMqBroker.FromConfiguration(configuration));

        Assert.Contains("RabbitMq:QuorumInitialGroupSize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AQuorumInitialGroupSize_IsRead()
    {
        var broker = RabbitMqBroker.FromConfiguration(Configuration("amqp://guest:guest@localhost:5672/", ("RabbitMq:QuorumInitialGroupSize", "3")));

        Assert.Equal(3, broker.QuorumInitialGroupSize);
    }

    [Fact]
    public async Task Connect_SkipsANodeThatRefuses_AndOpensOnTheNextOne()
    {
        var rabbit = (await TestServices.GetEndpointsAsync()).RabbitAmqpHost;
        var management = (await TestServices.GetEndpointsAsync()).RabbitManagement;
        var broker = RabbitMqBroker.FromConfiguration(Configuration($"amqp://{management.UserInfo}@ignored.invalid:5672/",
            ("RabbitMq:Hosts:0", "127.0.0.1:1"), ("RabbitMq:Hosts:1", rabbit)));

        await using var connection = await broker.ConnectAsync(broker.CreateConnectionFactory("cluster-config-test"), TestContext.Current.CancellationToken);

        Assert.True(connection.IsOpen);
        Assert.Equal(broker.Endpoints[1].Port, connection.Endpoint.Port);
    }
}
