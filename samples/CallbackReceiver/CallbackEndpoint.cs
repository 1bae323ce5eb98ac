using System.Collections.Concurrent;
using System.Text.Json;
using Messaging.Client;
using Microsoft.Extensions.Options;

namespace Messaging.Samples.CallbackReceiver;

/// <summary>The receiver's settings (section <c>Callbacks</c>).</summary>
internal sealed class CallbackReceiverOptions
{
    /// <summary>The client's callback secrets (<c>whsec_…</c>): the current one, and the previous one while the gateway rotates it.</summary>
    public List<string> Secrets { get; } = [];
}

/// <summary>
/// <c>POST /callbacks</c>: reads the raw body (the signature covers its exact bytes), verifies it with
/// <see cref="CallbackSignature"/> and refuses what does not verify with 401, then handles each <c>webhook-id</c> once
/// (the gateway delivers at least once: a retry after a lost answer repeats the id) and answers 204 quickly.
/// </summary>
internal static partial class CallbackEndpoint
{
    // The largest callback body taken; the gateway's events are a status document, a few KiB.
    private const int MaxBodyBytes = 256 * 1024;

    public static IEndpointConventionBuilder MapCallbacks(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/callbacks", ReceiveAsync);

    private static async Task<IResult> ReceiveAsync(HttpRequest request, IOptions<CallbackReceiverOptions> options, ReceivedEvents received,
        TimeProvider timeProvider, ILogger<CallbackReceiverOptions> logger, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        var body = buffer.ToArray();
        var verification = CallbackSignature.Verify(body, name => request.Headers[name].FirstOrDefault(), options.Value.Secrets, timeProvider);
        if (verification != CallbackVerification.Valid)
        {
            Log.Refused(logger, verification);
            return Results.Unauthorized();
        }

        var id = request.Headers[CallbackSignature.IdHeader].ToString();
        using var document = JsonDocument.Parse(body);
        var type = document.RootElement.GetProperty("type").GetString() ?? "";
        var data = document.RootElement.GetProperty("data");
        if (received.TryAdd(id, type, data.GetProperty("id").GetGuid()))
        {
            // Your handling goes here (mark the order paid, notify the user, …); keep it short or queue it: the
            // gateway waits for the answer and retries when it does not come.
            Log.Received(logger, type, data.GetProperty("id").GetGuid(), data.GetProperty("status").GetString() ?? "", id);
        }

        return Results.NoContent();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{EventType} for command {CommandId} ({Status}), event {EventId}")]
        public static partial void Received(ILogger logger, string eventType, Guid commandId, string status, string eventId);

        [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Refused a callback: {Verification}")]
        public static partial void Refused(ILogger logger, CallbackVerification verification);
    }
}

/// <summary>The events handled so far, by <c>webhook-id</c> (a real receiver keeps them in its database, with a retention).</summary>
internal sealed class ReceivedEvents
{
    private readonly ConcurrentDictionary<string, (string Type, Guid CommandId)> _events = new(StringComparer.Ordinal);

    /// <summary>Records an event; false when its id was handled before (a redelivery).</summary>
    public bool TryAdd(string id, string type, Guid commandId) => _events.TryAdd(id, (type, commandId));

    /// <summary>The events handled, by id.</summary>
    public IReadOnlyDictionary<string, (string Type, Guid CommandId)> All => _events;
}
