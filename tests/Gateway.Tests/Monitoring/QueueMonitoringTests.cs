using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Gateway.Monitoring;
using Messaging.Store.Bus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Messaging.Gateway.Tests.Monitoring;

public sealed class QueueMonitoringTests(MonitoringHost host) : IClassFixture<MonitoringHost>
{
    [Fact]
    public async Task Overview_ShowsTheCommandQueues_ReadFromTheManagementApi()
    {
        using var admin = await host.CreateOperatorClientAsync();

        var queue = await WaitForQueueAsync(admin, "payments.charge", _ => true);

        Assert.Equal("management", queue.GetProperty("source").GetString());
        Assert.Equal(0, queue.GetProperty("consumers").GetInt32());
        Assert.True(queue.GetProperty("unacked").GetInt64() >= 0);
        Assert.True(queue.GetProperty("history").GetArrayLength() >= 1);
    }

    [Fact]
    public async Task Overview_WithAnIsolatedBreaker_ShowsItsAlert_AndResetClearsIt()
    {
        using var admin = await host.CreateOperatorClientAsync();

        (await admin.PostAsync("/api/monitoring/breakers/redis/isolate", null, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        try
        {
            var alert = await WaitForAsync(admin, o => o.GetProperty("alerts").EnumerateArray()
                .FirstOrDefault(a => a.GetProperty("rule").GetString() == "BreakerOpen" && a.GetProperty("message").GetString()!.Contains("redis", StringComparison.Ordinal)));
            Assert.Equal("warning", alert.GetProperty("severity").GetString());
        }
        finally
        {
            (await admin.PostAsync("/api/monitoring/breakers/redis/reset", null, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        await WaitForAsync(admin, o => o.GetProperty("alerts").EnumerateArray().Any(a => a.GetProperty("rule").GetString() == "BreakerOpen") ? default : o);
    }

    [Fact]
    public async Task WithoutTheManagementApi_QueuesAreReadOverAmqp_WithRatesEstimatedFromDepth()
    {
        var configuration = host.Services.GetRequiredService<IConfiguration>();
        var managementOptions = Options.Create(new RabbitMqManagementOptions { Url = "http://127.0.0.1:1/", Timeout = TimeSpan.FromMilliseconds(500) });
        var endpoints = new RabbitMqEndpoints(configuration, managementOptions);
        await using var amqp = new AmqpQueueSource(endpoints, Messaging.CommandTypes.BuiltIn.BuiltInCommandTypes.Registry);
        var monitor = new StaticMonitor<RabbitMqManagementOptions>(managementOptions.Value);
        // The host declares the command topology in the background at start; this test must not race it.
        await DeclareTopologyAsync(endpoints.Broker.Address);
        var reader = new QueueStatisticsReader(
            new ManagementApiQueueSource(host.Services.GetRequiredService<IHttpClientFactory>(), endpoints, managementOptions),
            amqp, monitor, new StaticMonitor<MonitoringOptions>(new MonitoringOptions()), TimeProvider.System, NullLogger<QueueStatisticsReader>.Instance);

        var before = Assert.Single((await reader.ReadAsync(TestContext.Current.CancellationToken))!, q => q.Name == "notifications.send");
        await PublishAsync(endpoints.Broker.Address, "notifications.send", 5);
        var after = Assert.Single((await reader.ReadAsync(TestContext.Current.CancellationToken))!, q => q.Name == "notifications.send");

        Assert.Equal("amqp", after.Source);
        Assert.Equal(before.Ready + 5, after.Ready);
        Assert.Null(after.Unacked);
        Assert.True(after.PublishRate > 0, $"publishRate {after.PublishRate}");
        Assert.Equal(0, after.DeliverRate);
        Assert.Equal([before.Ready, after.Ready], after.History);
    }

    private static async Task DeclareTopologyAsync(Uri amqp)
    {
        var factory = new ConnectionFactory { Uri = amqp };
        await using var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        await CommandTopology.DeclareAsync(channel, Messaging.CommandTypes.BuiltIn.BuiltInCommandTypes.Registry, quorumInitialGroupSize: null, TestContext.Current.CancellationToken);
    }

    private static async Task PublishAsync(Uri amqp, string exchange, int count)
    {
        var factory = new ConnectionFactory { Uri = amqp };
        await using var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            TestContext.Current.CancellationToken);
        for (var i = 0; i < count; i++)
        {
            await channel.BasicPublishAsync(exchange, "", "{}"u8.ToArray(), TestContext.Current.CancellationToken);
        }
    }

    private static async Task<JsonElement> WaitForQueueAsync(HttpClient admin, string name, Func<JsonElement, bool> condition) =>
        await WaitForAsync(admin, o => o.GetProperty("queues").EnumerateArray().FirstOrDefault(q => q.GetProperty("name").GetString() == name && condition(q)));

    private static async Task<JsonElement> WaitForAsync(HttpClient admin, Func<JsonElement, JsonElement> select)
    {
        JsonElement last = default;
        for (var i = 0; i < 60; i++)
        {
            last = await admin.GetFromJsonAsync<JsonElement>("/api/monitoring/overview", TestContext.Current.CancellationToken);
            var found = select(last);
            if (found.ValueKind != JsonValueKind.Undefined)
            {
                return found;
            }

            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        Assert.Fail("The overview did not show what the test waited for: " + last);
        return default;
    }

    private sealed class StaticMonitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
