using System.Collections.Concurrent;
using System.Text.Json;
using MassTransit;
using Messaging.Contracts.Commands;
using Messaging.Resilience.Breakers;
using Messaging.Testing;
using Messaging.Workers.Tests.ExternalServices;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;
using RabbitMQ.Client;
using MessageHeaders = Messaging.Contracts.MessageHeaders;

namespace Messaging.Workers.Tests.Execution;

/// <summary>
/// The Workers host in-process (WebApplicationFactory) on a fresh database and RabbitMQ virtual host,
/// calling WireMock providers. Tests insert command rows with SQL and send messages through the bus. The
/// host has no outbox relay (the gateway runs it): tests deliver the rows a retry writes with
/// <see cref="RelayAsync"/>, which also lets them look at the rows first.
/// </summary>
public class WorkersHostFixture : ServicesFixture
{
    /// <summary>The delayed-retry settings of every type in this host.</summary>
    public const int MaxAttempts = 3;

    /// <summary>The first delayed retry comes after 5–10 s (base delay 10 s, jittered down by up to half).</summary>
    public static readonly TimeSpan BaseDelay = TimeSpan.FromSeconds(10);

    /// <summary>How long after the first failure every type's delayed retries go on (<c>Retry:MaxRetryPeriod</c>).</summary>
    public static readonly TimeSpan RetryPeriod = TimeSpan.FromHours(1);

    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);
    private static readonly JsonSerializerOptions BodyJson = new(JsonSerializerDefaults.Web);

    private WebApplicationFactory<Program>? _factory;
    private NpgsqlDataSource? _database;

    internal ProviderStub Providers { get; } = new();

    internal ConsumedCommands Consumed { get; } = new();

    public IServiceProvider Services => _factory!.Services;

    public NpgsqlDataSource Database => _database!;

    /// <summary>Everything the host logged (for assertions on log events, and to explain a failure).</summary>
    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    /// <summary>A client for the host's own HTTP endpoints (<c>/metrics</c>, <c>/health/*</c>).</summary>
    public HttpClient CreateClient() => _factory!.CreateClient();

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Providers.WithToken().WithChargesCreated().WithMessagesAccepted();

        var configuration = HostConfiguration();
        foreach (var (key, value) in Providers.Configuration())
        {
            configuration[key] = value;
        }

        foreach (var command in Messaging.CommandTypes.BuiltIn.BuiltInCommandTypes.Registry.All)
        {
            var key = $"Commands:Types:{command.TypeName}";
            configuration[$"{key}:Retry:MaxAttempts"] = MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
            configuration[$"{key}:Retry:BaseDelay"] = BaseDelay.ToString();
            configuration[$"{key}:Retry:MaxDelay"] = "00:01:00";
            configuration[$"{key}:Retry:MaxRetryPeriod"] = RetryPeriod.ToString();
            configuration[$"{key}:Flow:RampStepInterval"] = "00:00:00.100";
            configuration[$"{key}:Flow:DefaultProbeDelay"] = "00:00:30";
        }

        Configure(configuration);
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in configuration)
            {
                web.UseSetting(key, value);
            }

            web.ConfigureServices(services =>
            {
                services.AddConsumeObserver(_ => Consumed);
                services.AddLogging(logging => logging.AddFakeLogging());
            });
        });

        // Starts the host: migrations, then the bus; wait until the receive endpoints are up.
        var bus = _factory.Services.GetRequiredService<IBusControl>();
        var health = await bus.WaitForHealthStatus(BusHealthStatus.Healthy, WaitLimit);
        if (health != BusHealthStatus.Healthy)
        {
            throw new InvalidOperationException($"The Workers bus did not become healthy within {WaitLimit} (status {health}).");
        }

        _database = NpgsqlDataSource.Create(PostgresConnectionString);
    }

    /// <summary>Adjusts the host's configuration before it starts (a fixture of its own for other settings).</summary>
    protected virtual void Configure(IDictionary<string, string?> configuration)
    {
    }

    /// <summary>Inserts a command row as the gateway's relay leaves it (status Dispatched).</summary>
    public async Task InsertCommandAsync(Guid id, string type, string tenant, DateTimeOffset? deadline = null, string status = "Dispatched")
    {
        await using var command = _database!.CreateCommand(
            """
            INSERT INTO commands (id, tenant, client_id, type, status, attempts, payload, deadline, created_at, updated_at)
            VALUES (@id, @tenant, 'client-1', @type, @status, 0, '{}'::jsonb, @deadline, now(), now())
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("type", type);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("deadline", (object?)deadline ?? DBNull.Value);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Sends a command message to its queue's exchange with the transport headers the relay sets.</summary>
    public Task SendAsync<T>(T message, string typeName, DateTimeOffset? deadline, string? tenantHeader = null, int attempt = 1)
        where T : class, ICommandMessage
    {
        var headers = new Dictionary<string, object?>
        {
            [MessageHeaders.Tenant] = tenantHeader ?? message.Tenant,
            [MessageHeaders.Client] = "client-1",
            [MessageHeaders.CommandType] = typeName,
            [MessageHeaders.Attempt] = attempt,
        };
        if (deadline is { } due)
        {
            headers[MessageHeaders.Deadline] = due.UtcDateTime.ToString("O");
        }

        return SendWithHeadersAsync(message, typeName, headers);
    }

    /// <summary>Sends a command message with exactly these headers (null values are left out).</summary>
    public async Task SendWithHeadersAsync(object message, string typeName, IReadOnlyDictionary<string, object?> headers)
    {
        var bus = Services.GetRequiredService<IBus>();
        var endpoint = await bus.GetSendEndpoint(new Uri($"exchange:{typeName}"));
        await endpoint.Send(message, message.GetType(), Pipe.Execute<SendContext>(context =>
        {
            context.MessageId = ((ICommandMessage)message).CommandId;
            foreach (var (name, value) in headers)
            {
                if (value is not null)
                {
                    context.Headers.Set(name, value);
                }
            }
        }), TestContext.Current.CancellationToken);
    }

    /// <summary>Publishes raw bytes to an exchange of this fixture's virtual host with RabbitMQ.Client (no MassTransit).</summary>
    public async Task PublishRawAsync(string exchange, byte[] body, IDictionary<string, object?>? headers = null, string? contentType = null, string? messageId = null)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(RabbitMqConnectionString) }.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            TestContext.Current.CancellationToken);
        var properties = new BasicProperties { Persistent = true, Headers = headers, ContentType = contentType, MessageId = messageId };
        await channel.BasicPublishAsync(exchange, "", mandatory: false, properties, body, TestContext.Current.CancellationToken);
    }

    /// <summary>The ready messages and consumers of a queue (passive declare).</summary>
    public async Task<(uint Messages, uint Consumers)> QueueAsync(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(RabbitMqConnectionString) }.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        var ok = await channel.QueueDeclarePassiveAsync(queue, TestContext.Current.CancellationToken);
        return (ok.MessageCount, ok.ConsumerCount);
    }

    /// <summary>Waits until <paramref name="condition"/> holds, polling.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var started = DateTime.UtcNow;
        while (!await condition())
        {
            if (DateTime.UtcNow - started > WaitLimit)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Waits until the endpoint of <paramref name="queue"/> is in <paramref name="state"/>.</summary>
    public Task WaitForEndpointAsync(string queue, EndpointFlowState state) =>
        WaitUntilAsync(() => Task.FromResult(Services.GetRequiredService<BreakerAwareEndpoints>().TryGet(queue, out var endpoint) && endpoint.State == state),
            $"the endpoint {queue} is {state}");

    /// <summary>Waits until the command reaches <paramref name="status"/>, and returns its row.</summary>
    public async Task<CommandRow> WaitForStatusAsync(Guid id, string status)
    {
        var started = DateTime.UtcNow;
        CommandRow? row = null;
        while (DateTime.UtcNow - started < WaitLimit)
        {
            row = await ReadCommandAsync(id);
            if (row?.Status == status)
            {
                return row;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException($"Command {id} did not reach {status} within {WaitLimit}; it is {row?.Status ?? "missing"}.");
    }

    public async Task<CommandRow?> ReadCommandAsync(Guid id)
    {
        await using var command = _database!.CreateCommand(
            """
            SELECT status, attempts, result::text, error_code, error_message,
                   EXISTS (SELECT 1 FROM inbox WHERE command_id = @id), first_failure_at, client_id, tenant, type, payload::text
            FROM commands WHERE id = @id
            """);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return null;
        }

        return new CommandRow(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetBoolean(5))
        {
            FirstFailureAt = reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
            ClientId = reader.GetString(7),
            Tenant = reader.GetString(8),
            Type = reader.GetString(9),
            PayloadJson = reader.GetString(10),
        };
    }

    /// <summary>The outbox rows written for a command (its retries, and events of its fallback), oldest first.</summary>
    public async Task<IReadOnlyList<OutboxRow>> OutboxRowsAsync(Guid commandId)
    {
        await using var command = _database!.CreateCommand(
            """
            SELECT id, destination, message_type, body::text, headers::text, not_before, created_at, kind, sent_at IS NOT NULL
            FROM outbox WHERE command_id = @id ORDER BY id
            """);
        command.Parameters.AddWithValue("id", commandId);
        var rows = new List<OutboxRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new OutboxRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(4))!, reader.GetFieldValue<DateTimeOffset>(5),
                reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7), reader.GetBoolean(8)));
        }

        return rows;
    }

    /// <summary>
    /// Does what the gateway's relay does for one command, without waiting for <c>not_before</c>: sends its
    /// unsent command rows to their queue with their headers, and marks them sent. Returns the rows sent.
    /// </summary>
    public async Task<IReadOnlyList<OutboxRow>> RelayAsync(Guid commandId)
    {
        var pending = (await OutboxRowsAsync(commandId)).Where(r => r.Kind == "command" && !r.Sent).ToList();
        foreach (var row in pending)
        {
            Assert.True(Messaging.CommandTypes.BuiltIn.BuiltInCommandTypes.Registry.TryGetByMessageTypeName(row.MessageType, out var descriptor));
            var message = JsonSerializer.Deserialize(row.Body, descriptor.MessageType, BodyJson)!;
            await SendWithHeadersAsync(message, row.Destination, row.Headers.ToDictionary(h => h.Key, h => (object?)h.Value));
            await using var mark = _database!.CreateCommand("UPDATE outbox SET sent_at = now() WHERE id = @id");
            mark.Parameters.AddWithValue("id", row.Id);
            await mark.ExecuteNonQueryAsync();
        }

        return pending;
    }

    /// <summary>The dead letters matching a SQL condition on <c>dead_letters</c> (for example <c>command_id = @id</c>).</summary>
    public async Task<IReadOnlyList<DeadLetterRow>> DeadLettersAsync(string where, params (string Name, object Value)[] parameters)
    {
        await using var command = _database!.CreateCommand(
            $"""
            SELECT id, command_id, tenant, type, body, headers::text, attempts, exception_type, reason, source, first_failure_at, last_failure_at
            FROM dead_letters WHERE {where} ORDER BY id
            """);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var rows = new List<DeadLetterRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new DeadLetterRow(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4), JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(5))!,
                reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetString(8), reader.GetString(9),
                reader.GetFieldValue<DateTimeOffset>(10), reader.GetFieldValue<DateTimeOffset>(11)));
        }

        return rows;
    }

    /// <summary>Waits until a dead letter matches, and returns it.</summary>
    public async Task<DeadLetterRow> WaitForDeadLetterAsync(string where, params (string Name, object Value)[] parameters)
    {
        IReadOnlyList<DeadLetterRow> rows = [];
        await WaitUntilAsync(async () => (rows = await DeadLettersAsync(where, parameters)).Count > 0, $"a dead letter matches {where}");
        return rows[0];
    }

    public override async ValueTask DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        Providers.Dispose();
        await base.DisposeAsync();
    }
}

/// <summary>Counts the deliveries each command's consumer completed (returned from Consume, so acked).</summary>
internal sealed class ConsumedCommands : IConsumeObserver
{
    private readonly ConcurrentDictionary<Guid, int> _completed = new();
    private readonly ConcurrentDictionary<Guid, int> _faulted = new();

    public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class
    {
        if (context.Message is ICommandMessage command)
        {
            _completed.AddOrUpdate(command.CommandId, 1, (_, count) => count + 1);
        }

        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class
    {
        if (context.Message is ICommandMessage command)
        {
            _faulted.AddOrUpdate(command.CommandId, 1, (_, count) => count + 1);
        }

        return Task.CompletedTask;
    }

    /// <summary>Deliveries of the command that completed so far.</summary>
    public int Completed(Guid commandId) => _completed.GetValueOrDefault(commandId);

    /// <summary>Deliveries of the command that faulted (threw from Consume) so far.</summary>
    public int Faulted(Guid commandId) => _faulted.GetValueOrDefault(commandId);

    /// <summary>Waits until <paramref name="count"/> deliveries of the command completed.</summary>
    public Task WaitForAsync(Guid commandId, int count) => WaitAsync(_completed, commandId, count, "completed");

    private static async Task WaitAsync(ConcurrentDictionary<Guid, int> counts, Guid commandId, int count, string what)
    {
        var started = DateTime.UtcNow;
        while (counts.GetValueOrDefault(commandId) < count)
        {
            if (DateTime.UtcNow - started > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"Command {commandId}: {counts.GetValueOrDefault(commandId)} of {count} deliveries {what}.");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
