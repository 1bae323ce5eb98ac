using System.Net;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;

namespace Messaging.Gateway.Tests.Commands;

/// <summary>The rows the API writes are the rows the outbox relay can deliver: end to end into the command queue.</summary>
public sealed class RelayedCommandTests(RelayingCommandsApiFixture fixture) : IClassFixture<RelayingCommandsApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Submit_IsPublishedToItsQueueWithHeadersAndBecomesDispatched()
    {
        using var client = fixture.ClientFor("tenant-relayed", clientId: "client-relayed");
        using var accepted = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge), Ct);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        using var acceptedBody = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync(Ct));
        var id = acceptedBody.RootElement.GetProperty("id").GetGuid();

        var message = await GetOneMessageAsync("payments.charge");

        Assert.Equal(id.ToString(), message.BasicProperties.MessageId);
        var headers = message.BasicProperties.Headers!;
        Assert.Equal("tenant-relayed", HeaderText(headers, "Messaging-Tenant"));
        Assert.Equal("client-relayed", HeaderText(headers, "Messaging-Client"));
        Assert.Equal("payments.charge", HeaderText(headers, "Messaging-Command-Type"));
        Assert.Equal("1", HeaderText(headers, "Messaging-Attempt"));
        var body = Encoding.UTF8.GetString(message.Body.Span);
        Assert.Contains(id.ToString(), body, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("cus_123", body, StringComparison.Ordinal);

        Assert.Equal("Dispatched", await WaitForStatusAsync(client, id, "Dispatched"));
    }

    private async Task<BasicGetResult> GetOneMessageAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(fixture.RabbitMqConnectionString) };
        await using var connection = await factory.CreateConnectionAsync(Ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Ct);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                if (await channel.BasicGetAsync(queue, autoAck: true, Ct) is { } result)
                {
                    return result;
                }
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) when (DateTime.UtcNow < until)
            {
                // The relay has not declared the queue yet; the failed get closed the channel.
                await channel.DisposeAsync();
                return await GetOneMessageAsync(queue);
            }

            Assert.True(DateTime.UtcNow < until, $"no message arrived in '{queue}' within 30 s");
            await Task.Delay(100, Ct);
        }
    }

    private static async Task<string?> WaitForStatusAsync(HttpClient client, Guid id, string expected)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string? status;
        do
        {
            using var response = await client.GetAsync($"/api/commands/{id}", Ct);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            status = json.RootElement.GetProperty("status").GetString();
            if (status == expected)
            {
                break;
            }

            await Task.Delay(100, Ct);
        }
        while (DateTime.UtcNow < until);

        return status;
    }

    private static string? HeaderText(IDictionary<string, object?> headers, string name) =>
        headers.TryGetValue(name, out var value) ? value switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            _ => value?.ToString(),
        } : null;
}
