using System.Text;
using System.Text.Json;
using RabbitMQ.Client;

namespace Messaging.Testing.Harness;

/// <summary>A queue bound to an event exchange; read the MassTransit envelopes that reach it.</summary>
public sealed class EventTap(IConnection connection, IChannel channel, string queue) : IAsyncDisposable
{
    private readonly List<JsonElement> _received = [];

    /// <summary>Waits until an event whose <c>message</c> matches arrives, and returns that message.</summary>
    public async Task<JsonElement?> WaitForAsync(Func<JsonElement, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_received.FirstOrDefault(match) is { ValueKind: JsonValueKind.Object } found)
            {
                return found;
            }

            var result = await channel.BasicGetAsync(queue, autoAck: true);
            if (result is null)
            {
                await Task.Delay(200);
                continue;
            }

            using var envelope = JsonDocument.Parse(Encoding.UTF8.GetString(result.Body.Span));
            _received.Add(envelope.RootElement.GetProperty("message").Clone());
        }

        return _received.FirstOrDefault(match) is { ValueKind: JsonValueKind.Object } last ? last : null;
    }

    /// <summary>Closes the channel and the connection (the queue goes with them).</summary>
    public async ValueTask DisposeAsync()
    {
        await channel.DisposeAsync();
        await connection.DisposeAsync();
    }
}
