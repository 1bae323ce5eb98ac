using System.Collections.Concurrent;
using MassTransit;
using Messaging.Contracts.Commands;
using Messaging.Testing;
using Messaging.Workers.Tests.ExternalServices;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using MessageHeaders = Messaging.Contracts.MessageHeaders;

namespace Messaging.Workers.Tests.Execution;

/// <summary>
/// The Workers host in-process (WebApplicationFactory) on a fresh database and RabbitMQ virtual host,
/// calling WireMock providers. Tests insert command rows with SQL and send messages through the bus.
/// </summary>
public sealed class WorkersHostFixture : ServicesFixture
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

    private WebApplicationFactory<Program>? _factory;
    private NpgsqlDataSource? _database;

    internal ProviderStub Providers { get; } = new();

    internal ConsumedCommands Consumed { get; } = new();

    public IServiceProvider Services => _factory!.Services;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Providers.WithToken().WithChargesCreated().WithMessagesAccepted();

        var configuration = HostConfiguration();
        foreach (var (key, value) in Providers.Configuration())
        {
            configuration[key] = value;
        }

        foreach (var command in CommandCatalog.All)
        {
            configuration[$"Commands:Types:{command.TypeName}:RetryLimit"] = "2";
            configuration[$"Commands:Types:{command.TypeName}:RetryMinInterval"] = "00:00:00.050";
            configuration[$"Commands:Types:{command.TypeName}:RetryMaxInterval"] = "00:00:00.200";
        }

        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in configuration)
            {
                web.UseSetting(key, value);
            }

            web.ConfigureServices(services => services.AddConsumeObserver(_ => Consumed));
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
    public async Task SendAsync<T>(T message, string typeName, DateTimeOffset? deadline, string? tenantHeader = null)
        where T : class, ICommandMessage
    {
        var bus = Services.GetRequiredService<IBus>();
        var endpoint = await bus.GetSendEndpoint(new Uri($"exchange:{typeName}"));
        await endpoint.Send(message, context =>
        {
            context.MessageId = message.CommandId;
            context.Headers.Set(MessageHeaders.Tenant, tenantHeader ?? message.Tenant);
            context.Headers.Set(MessageHeaders.CommandType, typeName);
            context.Headers.Set(MessageHeaders.Attempt, 1);
            if (deadline is { } due)
            {
                context.Headers.Set(MessageHeaders.Deadline, due.UtcDateTime.ToString("O"));
            }
        }, TestContext.Current.CancellationToken);
    }

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
                   EXISTS (SELECT 1 FROM inbox WHERE command_id = @id)
            FROM commands WHERE id = @id
            """);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return null;
        }

        return new CommandRow(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetBoolean(5));
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

/// <summary>A command row as the tests read it.</summary>
public sealed record CommandRow(string Status, int Attempts, string? ResultJson, string? ErrorCode, string? ErrorMessage, bool InInbox);

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

    /// <summary>Waits until <paramref name="count"/> deliveries of the command faulted (threw from Consume).</summary>
    public Task WaitForFaultsAsync(Guid commandId, int count) => WaitAsync(_faulted, commandId, count, "faulted");

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
