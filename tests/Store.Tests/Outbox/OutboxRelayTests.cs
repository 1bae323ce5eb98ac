using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MassTransit;
using MessageHeaders = Messaging.Contracts.MessageHeaders;
using Messaging.CommandTypes.BuiltIn;
using Messaging.Contracts.Payments;
using Messaging.Store.Bus;
using Messaging.Store.Outbox;
using Messaging.Store.Persistence;
using Messaging.Store.Telemetry;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using RabbitMQ.Client;

namespace Messaging.Store.Tests.Outbox;

public sealed class OutboxRelayTests : IAsyncLifetime
{
    private readonly ServicesFixture _services = new();

    public ValueTask InitializeAsync() => _services.InitializeAsync();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task Relay_PublishesCommittedRows_WithCommandIdAsMessageId_AndMarksThemSent()
    {
        using var host = await StartHostAsync(relays: 1);
        var ids = await WriteRowsAsync(host, 5);

        var messages = await ReceiveAsync(ChargePayment.TypeName, expected: 5);

        Assert.Equal(ids.OrderBy(x => x), messages.Select(m => Guid.Parse(m.MessageId)).OrderBy(x => x));
        Assert.All(messages, m => Assert.Equal("tenant-a", m.Headers[MessageHeaders.Tenant]));
        await WaitUntilAsync(async () => await CountAsync("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0);
        Assert.Equal(5, await CountAsync("SELECT count(*) FROM commands WHERE status = 'Dispatched'"));
    }

    [Fact]
    public async Task TwoRelays_PublishEveryRowExactlyOnce()
    {
        using var host = await StartHostAsync(relays: 2);
        var ids = await WriteRowsAsync(host, 300);

        var messages = await ReceiveAsync(ChargePayment.TypeName, expected: 300);
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken); // let a double publish show up, if any

        var extra = await ReceiveAsync(ChargePayment.TypeName, expected: 0);
        Assert.Equal(300, messages.Select(m => m.MessageId).Distinct().Count());
        Assert.Empty(extra);
        Assert.Equal(ids.Count, messages.Count);
    }

    [Fact]
    public async Task Relay_DoesNotPublishRowsBeforeTheirNotBefore()
    {
        using var host = await StartHostAsync(relays: 1);
        await WriteRowsAsync(host, 1, notBefore: DateTimeOffset.UtcNow.AddHours(1));
        var due = await WriteRowsAsync(host, 1);

        var messages = await ReceiveAsync(ChargePayment.TypeName, expected: 1);
        Assert.Equal(due[0], Guid.Parse(Assert.Single(messages).MessageId));
        // The relay marks the due row sent in the transaction that follows the confirm: wait for it.
        await WaitUntilAsync(async () => await CountAsync("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL") == 1);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    }

    [Fact]
    public async Task Relay_CommitsSoonAfterAPass_WaitOutTheLinger_ThenShareOnePass()
    {
        // The relay's clock is fake and stands still unless advanced; the rows are due by it (not_before is real time).
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(1));
        using var host = await StartHostAsync(relays: 1, services: s => s.AddSingleton<TimeProvider>(time),
            configure: c => { c["Outbox:Relay:Linger"] = "00:00:01"; c["Outbox:Relay:PollInterval"] = "00:01:00"; c["Outbox:Relay:Concurrency"] = "1"; });
        var relay = host.Services.GetServices<IHostedService>().OfType<OutboxRelay>().Single();
        await WaitUntilAsync(() => Task.FromResult(relay.CompletedPasses == 1)); // the pass at start, on the clock's instant T

        // Two commits at T: each wakes the relay, which waits out the linger since the pass at T.
        var ids = (await WriteRowsAsync(host, 1)).Concat(await WriteRowsAsync(host, 1)).ToList();
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken); // room for a wrong, early pass
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
        Assert.Equal(1, relay.CompletedPasses);

        time.Advance(TimeSpan.FromMilliseconds(800));
        await Task.Delay(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM outbox WHERE sent_at IS NULL")); // 0.8 s of 1 s: still waiting

        time.Advance(TimeSpan.FromMilliseconds(200));
        await WaitUntilAsync(() => Task.FromResult(relay.CompletedPasses == 2));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM outbox WHERE sent_at IS NULL")); // both rows went in that one pass
        var messages = await ReceiveAsync(ChargePayment.TypeName, expected: 2);
        Assert.Equal(ids.Order(), messages.Select(m => Guid.Parse(m.MessageId)).Order());
    }

    [Fact]
    public async Task Relay_AfterABurstOfRowsDueAtOnce_PublishesARowWrittenAfterIt_InItsFirstPass_WithTheBurstsOldest()
    {
        // No background passes: the test runs them one at a time.
        using var host = await StartHostAsync(relays: 1, configure: c => c["Outbox:Relay:Enabled"] = "false");
        var relay = host.Services.GetServices<IHostedService>().OfType<OutboxRelay>().Single();
        var burst = await WriteRowsAsync(host, 30, notBefore: DateTimeOffset.UtcNow.AddSeconds(-10));
        var fresh = Assert.Single(await WriteRowsAsync(host, 1));

        var pass = await relay.RelayBatchAsync(new OutboxRelayOptions { BatchSize = 10 }, TestContext.Current.CancellationToken);

        Assert.Equal(10, pass.Published);
        var messages = await ReceiveAsync(ChargePayment.TypeName, expected: 10);
        // Half the batch from each end of the due order: the burst's five oldest rows, then its four newest and the fresh row.
        Assert.Equal([.. burst.Take(5), .. burst.TakeLast(4), fresh], messages.Select(m => Guid.Parse(m.MessageId)));
    }

    [Theory]
    [InlineData(0, 10, 10)]     // the pass began at this instant: wait the whole linger
    [InlineData(4, 10, 6)]      // 4 ms ago: the rest
    [InlineData(10, 10, null)]  // the linger has passed: at once
    [InlineData(250, 10, null)] // after a quiet spell: at once
    [InlineData(0, 0, null)]    // no linger
    public void LingerAfterWake_IsTheRestOfTheLingerSinceThePassBegan(int sinceMs, int lingerMs, int? expectedMs)
    {
        var wait = OutboxRelay.LingerAfterWake(TimeSpan.FromMilliseconds(sinceMs), TimeSpan.FromMilliseconds(lingerMs));
        Assert.Equal(expectedMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null, wait);
    }

    [Fact]
    public async Task Relay_WithBrokerUnreachable_KeepsRowsPendingAndCountsAttempts()
    {
        using var host = await StartHostAsync(relays: 1, rabbitMq: "amqp://guest:guest@127.0.0.1:1/");
        await WriteRowsAsync(host, 3);

        await WaitUntilAsync(async () => await CountAsync("SELECT count(*) FROM outbox WHERE publish_attempts > 0") == 3
            || await CountAsync("SELECT count(*) FROM outbox WHERE last_error IS NULL AND sent_at IS NULL") == 3);
        Assert.Equal(3, await CountAsync("SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM commands WHERE status <> 'Accepted'"));
    }

    [Fact]
    public async Task Relay_PublishesEventRowsByType_EvenWithoutASubscriber()
    {
        using var host = await StartHostAsync(relays: 1);
        var factory = new ConnectionFactory { Uri = new Uri(_services.RabbitMqConnectionString) };
        await using var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        const string exchange = "Messaging.Contracts.Events:PaymentFailed";
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, cancellationToken: TestContext.Current.CancellationToken);
        await channel.QueueDeclareAsync("test-payment-failed", durable: false, exclusive: false, autoDelete: false, cancellationToken: TestContext.Current.CancellationToken);
        await channel.QueueBindAsync("test-payment-failed", exchange, "", cancellationToken: TestContext.Current.CancellationToken);
        var commandId = Guid.NewGuid();
        var failed = new Messaging.Contracts.Events.PaymentFailed
        {
            CommandId = commandId, Tenant = "tenant-a", Amount = 5, Currency = "EUR", CustomerId = "cus_1", Reason = "retries exhausted", FailedAt = DateTimeOffset.UtcNow,
        };
        await WriteEventAsync(host, commandId, failed);

        var received = await ReceiveAsync("test-payment-failed", expected: 1);

        Assert.Single(received);
        Assert.NotEqual(commandId.ToString(), received[0].MessageId);
        await WaitUntilAsync(async () => await CountAsync("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0);
    }

    [Fact]
    public async Task WithAClusterWhoseFirstNodeRefuses_TheRelayAndMassTransitBothConnectToTheNext_AndDeclareTheSameQueueArguments()
    {
        var probe = new ConsumedCommands();
        var rabbit = new Uri(_services.RabbitMqConnectionString);
        using var host = await StartHostAsync(relays: 1, consumers: x => x.AddConsumer<ProbeConsumer, ProbeConsumerDefinition>(),
            services: s => s.AddSingleton(probe), configure: config =>
            {
                // The URI's own host is not a node once Hosts is set: only its credentials and virtual host count.
                config["ConnectionStrings:RabbitMq"] = new UriBuilder(rabbit) { Host = "ignored.invalid" }.Uri.ToString();
                config["RabbitMq:Hosts:0"] = "127.0.0.1:1";
                config["RabbitMq:Hosts:1"] = $"{rabbit.Host}:{rabbit.Port}";
                // The relay's declarer and MassTransit's receive endpoint must send the same arguments, or one is refused.
                config["RabbitMq:QuorumInitialGroupSize"] = "1";
            });

        var ids = await WriteRowsAsync(host, 1);
        var consumed = await probe.First.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(ids[0], consumed.MessageId);
        await WaitUntilAsync(async () => await CountAsync("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0);
    }

    [Fact]
    public async Task RelayedCommand_IsConsumedByAMassTransitConsumer_WithItsHeadersMessageIdAndTrace()
    {
        var started = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is CommandTelemetry.OutboxActivitySourceName or "MassTransit",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = started.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var probe = new ConsumedCommands();
        using var host = await StartHostAsync(relays: 1, consumers: x => x.AddConsumer<ProbeConsumer, ProbeConsumerDefinition>(),
            services: s => s.AddSingleton(probe));
        var traceId = ActivityTraceId.CreateRandom();
        var requestSpan = ActivitySpanId.CreateRandom();
        var headers = new Dictionary<string, string>
        {
            [MessageHeaders.Tenant] = "tenant-a",
            [MessageHeaders.Client] = "cli_test",
            [MessageHeaders.CommandType] = ChargePayment.TypeName,
            [MessageHeaders.Deadline] = "2030-01-02T03:04:05.0000000Z",
            [MessageHeaders.Attempt] = "1",
            [MessageHeaders.AcceptedVia] = "outbox",
            [MessageHeaders.TraceParent] = $"00-{traceId}-{requestSpan}-01",
            [MessageHeaders.TraceState] = "vendor=value",
        };

        var ids = await WriteRowsAsync(host, 1, headers: headers);
        var consumed = await probe.First.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(ids[0], consumed.MessageId);
        Assert.Equal(ids[0], consumed.Message.CommandId);
        Assert.Equal(10m, consumed.Message.Amount);
        Assert.Equal("cus_1", consumed.Message.CustomerId);
        foreach (var (name, value) in headers.Where(h => h.Key is not (MessageHeaders.TraceParent or MessageHeaders.TraceState)))
        {
            Assert.Equal(value, consumed.Headers.GetValueOrDefault(name));
        }

        // request → relay (producer span, child of the request's) → MassTransit's receive and consume spans.
        var relay = Assert.Single(started, a => a.Source.Name == CommandTelemetry.OutboxActivitySourceName && a.TraceId == traceId);
        Assert.Equal(requestSpan, relay.ParentSpanId);
        Assert.Equal(ActivityKind.Producer, relay.Kind);
        Assert.Equal(traceId, consumed.TraceId);
        Assert.Equal(relay.SpanId, consumed.RemoteParentSpanId);
        await WaitUntilAsync(async () => await CountAsync("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0);
    }

    [Fact]
    public async Task Relay_UnroutableCommand_IsNotMarkedSent_AndRoutableOnesStillGo()
    {
        using var host = await StartHostAsync(relays: 1);
        var factory = new ConnectionFactory { Uri = new Uri(_services.RabbitMqConnectionString) };
        await using (var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken))
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken))
        {
            // An exchange with no queue bound: the broker returns a mandatory publish to it.
            await channel.ExchangeDeclareAsync("unbound", ExchangeType.Fanout, durable: true, cancellationToken: TestContext.Current.CancellationToken);
        }

        var unroutable = await WriteRowsAsync(host, 1, destination: "unbound");
        await WaitUntilAsync(async () => await CountAsync("SELECT count(*) FROM outbox WHERE publish_attempts >= 2") == 1);
        var routable = await WriteRowsAsync(host, 2);

        var messages = await ReceiveAsync(ChargePayment.TypeName, expected: 2);
        Assert.Equal(routable.OrderBy(x => x), messages.Select(m => Guid.Parse(m.MessageId)).OrderBy(x => x));
        await WaitUntilAsync(async () => await CountAsync("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL") == 2);
        Assert.Equal(1, await CountAsync(
            $"SELECT count(*) FROM outbox WHERE sent_at IS NULL AND last_error = 'PublishReturnException' AND command_id = '{unroutable[0]}'"));
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM commands WHERE status = 'Accepted' AND id = '{unroutable[0]}'"));
    }

    [Fact]
    public async Task Relay_AfterTheBrokerClosedItsConnection_PublishesOnANewOne()
    {
        using var host = await StartHostAsync(relays: 1);
        var first = await WriteRowsAsync(host, 3);
        Assert.Equal(3, (await ReceiveAsync(ChargePayment.TypeName, expected: 3)).Count);

        var closed = await CloseRelayConnectionsAsync();
        var second = await WriteRowsAsync(host, 5);

        var messages = await ReceiveAsync(ChargePayment.TypeName, expected: 5);
        Assert.True(closed > 0);
        Assert.Equal(second.OrderBy(x => x), messages.Select(m => Guid.Parse(m.MessageId)).OrderBy(x => x));
        await WaitUntilAsync(async () => await CountAsync("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0);
        Assert.Equal(first.Count + second.Count, await CountAsync("SELECT count(*) FROM commands WHERE status = 'Dispatched'"));
    }

    // Closes the relay's connections from the broker's side (the management API), as a broker restart or a network cut does.
    private async Task<int> CloseRelayConnectionsAsync()
    {
        var management = new Uri(Environment.GetEnvironmentVariable("MESSAGING_TEST_RABBITMQ_MANAGEMENT") ?? "http://guest:guest@127.0.0.1:15672/");
        using var http = new HttpClient { BaseAddress = new Uri(management.GetLeftPart(UriPartial.Authority) + "/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(management.UserInfo))));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            // The management API lists a connection once the broker has emitted its first statistics.
            var connections = await http.GetFromJsonAsync<JsonElement>($"api/vhosts/{Uri.EscapeDataString(_services.RabbitMqVirtualHost)}/connections",
                TestContext.Current.CancellationToken);
            var relay = connections.EnumerateArray()
                .Where(c => c.TryGetProperty("client_properties", out var p) && p.TryGetProperty("connection_name", out var n)
                    && n.GetString() == "messaging-outbox-relay")
                .Select(c => c.GetProperty("name").GetString()!)
                .ToList();
            if (relay.Count > 0)
            {
                foreach (var name in relay)
                {
                    using var response = await http.DeleteAsync($"api/connections/{Uri.EscapeDataString(name)}", TestContext.Current.CancellationToken);
                    response.EnsureSuccessStatusCode();
                }

                return relay.Count;
            }

            Assert.True(DateTime.UtcNow < deadline, "the relay's connection did not show up in the management API within 60 s");
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }

    private static async Task WriteEventAsync(IHost host, Guid commandId, object message)
    {
        var writer = host.Services.GetRequiredService<OutboxWriter>();
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await writer.EnqueueAsync(transaction, new OutboxMessage(commandId, "events", message.GetType().FullName!,
            JsonSerializer.Serialize(message, message.GetType(), JsonSerializerOptions.Web),
            new Dictionary<string, string> { [MessageHeaders.Tenant] = "tenant-a" }, DateTimeOffset.UtcNow.AddSeconds(-1), OutboxMessageKind.Event),
            TestContext.Current.CancellationToken);
        await transaction.CommitAsync(TestContext.Current.CancellationToken);
        host.Services.GetRequiredService<OutboxSignal>().Notify();
    }

    private async Task<IHost> StartHostAsync(int relays, string? rabbitMq = null, Action<IBusRegistrationConfigurator>? consumers = null,
        Action<IServiceCollection>? services = null, Action<IDictionary<string, string?>>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder();
        var config = _services.HostConfiguration();
        if (rabbitMq is not null)
        {
            config["ConnectionStrings:RabbitMq"] = rabbitMq;
        }

        config["Outbox:Relay:PollInterval"] = "00:00:00.100";
        config["Outbox:Relay:PublishTimeout"] = "00:00:02";
        configure?.Invoke(config);
        builder.Configuration.AddInMemoryCollection(config);
        builder.AddMessagingPostgres();
        builder.AddBuiltInCommandTypes();
        builder.AddMessagingBus(consumers);
        builder.AddOutboxRelay();
        services?.Invoke(builder.Services);
        for (var i = 1; i < relays; i++)
        {
            // A second relay in the same process behaves like one in another gateway: it only shares the table.
            builder.Services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<OutboxRelay>(sp, new OutboxSignal()));
        }

        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }

    private async Task<List<Guid>> WriteRowsAsync(IHost host, int count, DateTimeOffset? notBefore = null,
        IReadOnlyDictionary<string, string>? headers = null, string destination = ChargePayment.TypeName)
    {
        var writer = host.Services.GetRequiredService<OutboxWriter>();
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        var ids = new List<Guid>();
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        for (var i = 0; i < count; i++)
        {
            var id = Guid.NewGuid();
            ids.Add(id);
            var message = new ChargePayment { CommandId = id, Tenant = "tenant-a", Amount = 10m + i, Currency = "EUR", CustomerId = "cus_1" };
            await using (var insert = new NpgsqlCommand(
                """
                INSERT INTO commands (id, tenant, client_id, type, status, payload, created_at, updated_at)
                VALUES (@id, 'tenant-a', 'cli_test', 'payments.charge', 'Accepted', '{}', now(), now())
                """, connection, transaction))
            {
                insert.Parameters.AddWithValue("id", id);
                await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            await writer.EnqueueAsync(transaction, new OutboxMessage(id, destination, typeof(ChargePayment).FullName!,
                JsonSerializer.Serialize(message, JsonSerializerOptions.Web),
                headers ?? new Dictionary<string, string> { [MessageHeaders.Tenant] = "tenant-a", [MessageHeaders.Attempt] = "1" },
                notBefore ?? DateTimeOffset.UtcNow.AddSeconds(-1)), TestContext.Current.CancellationToken);
        }

        await transaction.CommitAsync(TestContext.Current.CancellationToken);
        host.Services.GetRequiredService<OutboxSignal>().Notify();
        return ids;
    }

    private async Task<List<(string MessageId, Dictionary<string, string> Headers)>> ReceiveAsync(string queue, int expected)
    {
        var factory = new ConnectionFactory { Uri = new Uri(_services.RabbitMqConnectionString) };
        var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        var received = new List<(string, Dictionary<string, string>)>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            BasicGetResult? result;
            try
            {
                result = await channel.BasicGetAsync(queue, autoAck: true, TestContext.Current.CancellationToken);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) when (!channel.IsOpen)
            {
                // The relay declares the queue before its first publish: until then it does not exist (the broker
                // closes the channel). Just after the declare, the quorum queue's process may not be running yet:
                // the broker then closes the whole connection (541 "noproc").
                await channel.DisposeAsync();
                if (!connection.IsOpen)
                {
                    await connection.DisposeAsync();
                    connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
                }

                channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
                await Task.Delay(50, TestContext.Current.CancellationToken);
                continue;
            }

            if (result is null)
            {
                if (received.Count >= expected)
                {
                    break;
                }

                await Task.Delay(50, TestContext.Current.CancellationToken);
                continue;
            }

            var headers = (result.BasicProperties.Headers ?? new Dictionary<string, object?>())
                .Where(h => h.Value is byte[])
                .ToDictionary(h => h.Key, h => Encoding.UTF8.GetString((byte[])h.Value!));
            received.Add((result.BasicProperties.MessageId!, headers));
        }

        await channel.DisposeAsync();
        await connection.DisposeAsync();
        return received;
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_services.PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 60 s");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}

/// <summary>What <see cref="ProbeConsumer"/> saw of the first command it consumed.</summary>
internal sealed record ConsumedCommand(Guid? MessageId, ChargePayment Message, Dictionary<string, string?> Headers, ActivityTraceId? TraceId,
    ActivitySpanId? RemoteParentSpanId);

internal sealed class ConsumedCommands
{
    public TaskCompletionSource<ConsumedCommand> First { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A MassTransit consumer on the command queue, as the workers consume it.</summary>
internal sealed class ProbeConsumer(ConsumedCommands consumed) : IConsumer<ChargePayment>
{
    public Task Consume(ConsumeContext<ChargePayment> context)
    {
        var headers = context.Headers.GetAll().ToDictionary(h => h.Key, h => h.Value?.ToString(), StringComparer.Ordinal);
        var root = Activity.Current;
        while (root?.Parent is not null)
        {
            root = root.Parent;
        }

        consumed.First.TrySetResult(new ConsumedCommand(context.MessageId, context.Message, headers, Activity.Current?.TraceId, root?.ParentSpanId));
        return Task.CompletedTask;
    }
}

internal sealed class ProbeConsumerDefinition : ConsumerDefinition<ProbeConsumer>
{
    public ProbeConsumerDefinition() => EndpointName = ChargePayment.TypeName;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ProbeConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.ConfigureCommandQueue(context.GetRequiredService<RabbitMqBroker>().QuorumInitialGroupSize);
        }
    }
}
