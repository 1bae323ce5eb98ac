using Messaging.Gateway.Monitoring;
using Messaging.Store.Bus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;

namespace Messaging.Gateway.Tests.Monitoring;

/// <summary>The sampler sends the broker's credentials with every request: in Production, never over plain http beyond loopback.</summary>
public sealed class ManagementUrlSafetyTests
{
    [Theory]
    [InlineData("amqps://app:secret@rabbit.internal:5671/", "https://rabbit.internal:15671/")]
    [InlineData("amqp://app:secret@127.0.0.1:5672/", "http://127.0.0.1:15672/")]
    public void DerivedManagementUrl_FollowsTheAmqpScheme(string amqp, string expected)
    {
        Assert.Equal(new Uri(expected), RabbitMqEndpoints.DerivedManagementUrl(new Uri(amqp)));
    }

    [Fact]
    public void DerivedManagementUrl_OfACluster_IsTheFirstNodes()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:RabbitMq"] = "amqps://app:secret@ignored:5671/",
            ["RabbitMq:Hosts:0"] = "node-a:5671",
            ["RabbitMq:Hosts:1"] = "node-b:5671",
        }).Build();

        Assert.Equal(new Uri("https://node-a:15671/"), RabbitMqEndpoints.DerivedManagementUrl(RabbitMqBroker.FromConfiguration(configuration)));
    }

    [Theory]
    [InlineData("amqp://app:secret@rabbit.internal:5672/", null, "derived from ConnectionStrings:RabbitMq")]
    [InlineData("amqps://app:secret@rabbit.internal:5671/", "http://app:secret@rabbit.internal:15672/", "RabbitMq:Management:Url")]
    public void Validate_InProduction_PlainHttpBeyondLoopback_FailsNamingTheKeyWithoutThePassword(string amqp, string? url, string named)
    {
        var result = Validator(amqp, Environments.Production).Validate(null, new RabbitMqManagementOptions { Url = url });

        Assert.True(result.Failed);
        Assert.Contains(named, result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("amqps://app:secret@rabbit.internal:5671/", null)]
    [InlineData("amqp://guest:guest@127.0.0.1:5672/", null)]
    [InlineData("amqp://app:secret@rabbit.internal:5672/", "https://rabbit.internal:15671/")]
    public void Validate_InProduction_HttpsOrLoopback_Passes(string amqp, string? url)
    {
        Assert.True(Validator(amqp, Environments.Production).Validate(null, new RabbitMqManagementOptions { Url = url }).Succeeded);
    }

    [Fact]
    public void Validate_OutsideProduction_IsNotChecked()
    {
        Assert.True(Validator("amqp://app:secret@rabbit.internal:5672/", "Testing").Validate(null, new RabbitMqManagementOptions()).Skipped);
    }

    private static RabbitMqManagementOptionsValidator Validator(string amqp, string environment) => new(
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:RabbitMq"] = amqp }).Build(),
        new HostingEnvironment { EnvironmentName = environment });
}
