using System.Globalization;
using MassTransit;
using MessageHeaders = Messaging.Contracts.MessageHeaders;
using Messaging.Contracts.Notifications;
using Npgsql;
using NpgsqlTypes;

namespace Messaging.Load.Infrastructure;

/// <summary>Command messages as the relay sends them (MassTransit envelope, the product's headers), put into a queue ahead of a consumer.</summary>
internal static class CommandMessages
{
    /// <summary>Sends one <c>notifications.send</c> message per id to the command's exchange, with confirms, many in flight.</summary>
    public static async Task PrefillAsync(string rabbitMq, IReadOnlyList<Guid> ids, int payloadBytes)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.Services.AddMassTransit(x => x.UsingRabbitMq((_, cfg) => cfg.Host(new Uri(rabbitMq), host => host.PublisherConfirmation = true)));
        using var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        var bus = host.Services.GetRequiredService<IBus>();
        var endpoint = await bus.GetSendEndpoint(new Uri($"exchange:{SendNotification.TypeName}")).ConfigureAwait(false);
        var body = Payloads.Body(payloadBytes);
        var deadline = DateTimeOffset.UtcNow.AddDays(1).UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        using var window = new SemaphoreSlim(256);
        var sends = new List<Task>(ids.Count);
        foreach (var id in ids)
        {
            await window.WaitAsync().ConfigureAwait(false);
            sends.Add(SendAsync(id));
        }

        await Task.WhenAll(sends).ConfigureAwait(false);
        await host.StopAsync().ConfigureAwait(false);

        async Task SendAsync(Guid id)
        {
            try
            {
                await endpoint.Send(new SendNotification { CommandId = id, Tenant = "load", Channel = "email", To = "load@example.org", Subject = "Load", Body = body },
                    context =>
                    {
                        context.MessageId = id;
                        context.Durable = true;
                        context.Headers.Set(MessageHeaders.Tenant, "load");
                        context.Headers.Set(MessageHeaders.Client, "load");
                        context.Headers.Set(MessageHeaders.CommandType, SendNotification.TypeName);
                        context.Headers.Set(MessageHeaders.Deadline, deadline);
                        context.Headers.Set(MessageHeaders.Attempt, "1");
                    }).ConfigureAwait(false);
            }
            finally
            {
                window.Release();
            }
        }
    }

    /// <summary>The <c>commands</c> rows the workers update, as the relay leaves them (status Dispatched).</summary>
    public static async Task InsertCommandRowsAsync(string postgres, IReadOnlyList<Guid> ids, int payloadBytes)
    {
        var payload = Payloads.NotificationJson(payloadBytes);
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync().ConfigureAwait(false);
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO commands (id, tenant, client_id, type, status, attempts, payload, deadline, created_at, updated_at)
            SELECT id, 'load', 'load', @type, 'Dispatched', 0, @payload::jsonb, now() + interval '1 day', now(), now() FROM unnest(@ids) AS id
            """, connection);
        insert.Parameters.AddWithValue("type", SendNotification.TypeName);
        insert.Parameters.AddWithValue("payload", payload);
        insert.Parameters.AddWithValue("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid, ids.ToArray());
        await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Commands by status.</summary>
    public static async Task<Dictionary<string, long>> StatusCountsAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT status, count(*) FROM commands GROUP BY status");
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    public static string Describe(Dictionary<string, long> counts) =>
        string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));
}
